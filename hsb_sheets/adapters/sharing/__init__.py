"""The sharing port: who, besides the service, can open the register."""
