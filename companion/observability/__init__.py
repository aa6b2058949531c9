"""What the companion tells its operators: request ids, log lines and the errors nobody expected.

Nothing here writes a phone number, a message body, a query value or an exception's message:
an exception is described by its type and its frames (see ``tracebacks``)."""
