"""The WebSocket side: the consumer, the frame protocol, flood control, the origin check, routing."""
