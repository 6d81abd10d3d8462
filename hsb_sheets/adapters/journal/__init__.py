"""The journal port: what the jobs did, kept beside the register so nothing is lost or done twice."""
