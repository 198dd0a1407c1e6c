"""The two stores: the app store (SQLAlchemy) and the warehouse (Ibis). The only package that opens databases."""
