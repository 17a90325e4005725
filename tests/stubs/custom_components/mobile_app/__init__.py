"""A stand-in for the Mobile App integration: its notify device action, nothing else.

The real one needs PyNaCl and the voice stack, which the test environments do not install.
"""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up nothing."""
    return True
