"""Rights requests (本人からの請求, 法32–39): the kinds, the statutory grounds for refusing,
the case's states and deadline, and what the answer tells the person."""
