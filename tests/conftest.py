"""Settings for every test layer."""

from hypothesis import HealthCheck, settings

# These machines are shared: a property test that takes 5 s once is load, not a failure.
settings.register_profile("accelerator", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("accelerator")
