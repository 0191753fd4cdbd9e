"""The stock setup the FastAPI Users documentation gives for SQLAlchemy, as the yardstick.

The documentation's model (SQLAlchemyBaseUserTableUUID, nothing added), the stock adapter
SQLAlchemyUserDatabase, an engine with SQLAlchemy's default settings, and the same routers as
a generated project. The URL and the signing key come from DATABASE_URL and SECRET_KEY.
"""

import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Base class of the stock tables."""


class User(SQLAlchemyBaseUserTableUUID, Base):
    """The documentation's user table."""


class UserRead(schemas.BaseUser[uuid.UUID]):
    """A user as the API returns it."""


class UserCreate(schemas.BaseUserCreate):
    """What registration accepts."""


class UserUpdate(schemas.BaseUserUpdate):
    """What an update accepts."""


engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./stock.db"))
async_session_maker = async_sessionmaker(engine, expire_on_commit=False)
SECRET = os.environ.get("SECRET_KEY", "")


async def get_async_session() -> AsyncGenerator[AsyncSession, None]:
    async with async_session_maker() as session:
        yield session


async def get_user_db(
    session: AsyncSession = Depends(get_async_session),
) -> AsyncGenerator[SQLAlchemyUserDatabase[User, uuid.UUID], None]:
    yield SQLAlchemyUserDatabase(session, User)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    """The documentation's manager, without its print() hooks."""

    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


async def get_user_manager(
    user_db: SQLAlchemyUserDatabase[User, uuid.UUID] = Depends(get_user_db),
) -> AsyncGenerator[UserManager, None]:
    yield UserManager(user_db)


def get_jwt_strategy() -> JWTStrategy[User, uuid.UUID]:
    return JWTStrategy(secret=SECRET, lifetime_seconds=3600)


auth_backend = AuthenticationBackend(
    name="jwt",
    transport=BearerTransport(tokenUrl="auth/jwt/login"),
    get_strategy=get_jwt_strategy,
)
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield


app = FastAPI(lifespan=lifespan)
app.include_router(fastapi_users.get_auth_router(auth_backend), prefix="/auth/jwt")
app.include_router(fastapi_users.get_register_router(UserRead, UserCreate), prefix="/auth")
app.include_router(fastapi_users.get_users_router(UserRead, UserUpdate), prefix="/users")
