// An OpenID Connect provider on loopback for the template's tests: oauth2-mock-server, with
// accounts to sign in as and the checks of a provider that requires PKCE.
//
//     node provider.mjs PORT ACCOUNTS
//
// ACCOUNTS is a JSON object of userinfo claims by account name; the authorization request
// names the account that consents in its login_hint parameter. A code is exchanged once, for
// the redirect_uri it was issued to, and with a code_verifier when it was issued with a
// code_challenge (oauth2-mock-server checks that the verifier matches the challenge).
import { OAuth2Server } from "oauth2-mock-server";

const [port, accountsJson] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);
const server = new OAuth2Server();
const service = server.service;
// Each code not exchanged yet, and each access token issued: what they were issued for.
const codes = new Map();
const tokens = new Map();

service.on("beforeAuthorizeRedirect", (redirect, req) => {
  const claims = accounts[req.query.login_hint];
  const code = redirect.url.searchParams.get("code");
  if (claims === undefined) {
    redirect.url.searchParams.delete("code");
    redirect.url.searchParams.set("error", "access_denied");
    return;
  }
  codes.set(code, {
    claims,
    redirectUri: req.query.redirect_uri,
    pkce: req.query.code_challenge !== undefined,
  });
});

service.on("beforeResponse", (response, req) => {
  const issued = codes.get(req.body.code);
  codes.delete(req.body.code);
  const refused =
    issued === undefined ||
    req.body.redirect_uri !== issued.redirectUri ||
    (issued.pkce && req.body.code_verifier === undefined);
  if (refused) {
    response.statusCode = 400;
    response.body = { error: "invalid_grant" };
    return;
  }
  tokens.set(response.body.access_token, issued.claims);
});

service.on("beforeUserinfo", (response, req) => {
  const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
  const claims = tokens.get(token);
  if (claims === undefined) {
    response.statusCode = 401;
    response.body = { error: "invalid_token" };
    return;
  }
  response.body = claims;
});

await server.issuer.keys.generate("RS256");
await server.start(Number(port), "127.0.0.1");
console.log(`OpenID Connect provider at ${server.issuer.url}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.stop().then(() => process.exit(0)));
}
