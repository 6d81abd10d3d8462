"""Adapters: one folder per port, ``base.py`` the contract, one module per backend."""
