"""The forms port: the referral form in Google Forms, and its responses."""
