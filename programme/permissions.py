"""The programme's named permissions (sessions, speakers, presenters)."""
