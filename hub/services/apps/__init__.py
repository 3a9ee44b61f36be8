"""Published Voila apps: store, access rules, runners and the hub service that serves them."""
