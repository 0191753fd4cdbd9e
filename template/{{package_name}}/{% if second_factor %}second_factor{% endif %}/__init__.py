"""Two-step sign-in: a second factor after the password (an authenticator app, TOTP, with
recovery codes), and the fresh proof that changing a factor, the address or the account needs.

- totp.py: the secret an app shares, its codes, and the QR code of enrolment.
- recovery_codes.py: the single-use codes that stand in for a lost app.
- store.py: the factors of the users in the database, codes accepted once.
- challenge.py: what a correct password gives a user with a factor, instead of a session.
- proof.py: how recently a session proved everything the account has.
- manager.py: the user manager's part: codes checked and counted as logins.
- routers: enrolment and recovery codes (router.py), the code of a sign-in and
  re-authentication (sign_in_router.py).
"""
