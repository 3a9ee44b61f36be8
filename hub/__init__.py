"""Hub side of ECHOES VRE: settings, authenticator, spawners and managed services."""
