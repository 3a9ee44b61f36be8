"""The user side of published apps: what runs in the user image (or the hub's
environment, in the process mode) as an author's apps account. The hub package is not
needed here (the apps service, hub/services/apps/, starts these commands)."""
