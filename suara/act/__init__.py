"""Act: alerts and anomaly detection, cases, notifications and triggers."""
