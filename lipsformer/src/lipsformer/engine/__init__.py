"""Training engine: config, trainer, evaluation."""
