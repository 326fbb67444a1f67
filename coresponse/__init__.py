"""Coresponse: software for police-clinician co-responder programs."""
