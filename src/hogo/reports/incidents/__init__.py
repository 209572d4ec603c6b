"""Incident documents (Japanese): PPC preliminary/final report drafts (規則8条), the notice to the
persons (規則10条), a public announcement, the P-mark granting body's report, the notification list."""
