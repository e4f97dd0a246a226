"""Downloading the uploads' bytes (`sync.files`): where they may be fetched from (`redirects`),
how (`fetch`: streamed, resumable, retried), where they are kept (`store`: content-addressed)
and the sync step that records the outcome on each upload row (`step`)."""
