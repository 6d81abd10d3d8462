"""The mail port: notifications to referrers, workers and coordinators."""
