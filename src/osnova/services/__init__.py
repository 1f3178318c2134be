"""Domain services: the rules of the catalogue, shared by the web, API and CLI doors.

Services take the acting user and the database session as explicit keyword arguments and
raise ``osnova.errors`` exceptions; they never touch the request or the session cookie.
"""
