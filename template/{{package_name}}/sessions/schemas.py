"""Pydantic schemas of the sessions: what GET /users/me/sessions returns of each."""

import datetime
import uuid

from pydantic import BaseModel, Field


class SessionRead(BaseModel):
    """A live session of the user, as the API returns it: enough to tell devices apart."""

    id: uuid.UUID = Field(description="What DELETE /users/me/sessions/{id} takes to end it")
    created_at: datetime.datetime = Field(description="When it began: the login")
    last_used_at: datetime.datetime = Field(
        description="Its last request or refresh, within a minute"
    )
    expires_at: datetime.datetime = Field(
        description="When it ends however often it is used; unused, it ends sooner, after the "
        "idle timeout"
    )
    user_agent: str = Field(description="The client's User-Agent at login")
    address: str = Field(description="The client's IP address at login")
    current: bool = Field(description="Whether it is the session of this request")
