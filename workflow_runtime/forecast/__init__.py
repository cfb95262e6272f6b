"""Forecasts: a flow's draft or any version replayed on a past window's stored events, in a scratch database.

`window` says which days, `scratch` builds the isolated database, `history` reads from the live one what the
replay needs, `replay` drives the engine on a virtual clock, `figures` reads what it gave beside the live
figures, and `forecasts` runs it all as a background job that writes only its own row.
"""
