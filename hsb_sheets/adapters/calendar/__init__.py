"""The calendar port: meeting invitations in invitees' calendars."""
