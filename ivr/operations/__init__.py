"""Running the line: metrics, logs, config reload, the repair alert, the state folder, the database
deadline, the environment file and the production checks. Nothing here decides a caller's call."""
