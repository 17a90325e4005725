"""Stand in for a Sophon SE AI box (REST device list and WebSocket event push) on loopback ports."""

from .faults import Faults
from .roster import ROSTER, Person, PersonType, SimDevice
from .simulator import BoxSimulator

__all__ = ["ROSTER", "BoxSimulator", "Faults", "Person", "PersonType", "SimDevice"]
