"""The protocol: a TOML file that states the trial design as data, validated on load."""
