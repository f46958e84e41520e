"""The run itself: preparing a task's data for one baseline, the configuration identity, training
(Lightning, seeded, resumable), provenance and the runner that turns a task x baseline x seeds into
records."""
