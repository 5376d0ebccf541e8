"""Référentiel territorial: communes, EPCI, départements, régions, France."""
