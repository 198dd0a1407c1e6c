"""Pure data and rules: question kinds, scales and the records that come in. No IO."""
