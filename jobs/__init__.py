"""The scheduled sync daemon (`rcetl daemon`): schedules from the config (schedule), thin job calls
into `etl` (registry), one run's bookkeeping, backoff and logs (runner, runs), the stop signals
(signals), /healthz and /metrics (health, metrics), and the jobs view of `rcetl status`. The
database locks it takes are etl.lock's."""
