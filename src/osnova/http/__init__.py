"""What the web and API doors share and neither owns.

Content-negotiated error answers, problem+json bodies, security headers, the probes, export
downloads, account mail and the sign-in throttle. Nothing here imports a door.
"""
