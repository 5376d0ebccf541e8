"""How an API route knows its account: a per-user token (`Authorization: Bearer …`,
`terrinum compte jeton`) or the session of a signed-in user. Routers of the apps that need
an account pass ACCOUNT_AUTH."""

from ninja.security import HttpBearer, django_auth

from terrinum.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


ACCOUNT_AUTH = [BearerToken(), django_auth]
