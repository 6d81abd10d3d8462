"""The referral form on the web, for local mode."""
