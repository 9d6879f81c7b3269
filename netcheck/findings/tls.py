"""Rules for the TLS handshake and the presented chain, interception first."""

from __future__ import annotations

import datetime as dt

from netcheck import certs
from netcheck.findings import codes
from netcheck.findings.base import RuleContext, finding
from netcheck.interceptors import Product, identify
from netcheck.models import CertificateInfo, Finding, Observation, Outcome, Target, TlsObservation

_FAILURES = {
    Outcome.RESET: (codes.TLS_RESET, "the connection was reset or closed during the TLS handshake"),
    Outcome.TIMEOUT: (codes.TLS_TIMEOUT, "no answer to the TLS handshake"),
    Outcome.PROTOCOL: (codes.TLS_PROTOCOL, "TLS 1.2 or newer could not be negotiated"),
    # Any other handshake error (no shared cipher, bad record) is a negotiation failure too.
    Outcome.ERROR: (codes.TLS_PROTOCOL, "the TLS handshake failed"),
}
_ADMIN_NAMED = (
    "Products whose inspection CA the administrator names (Palo Alto Networks, "
    "Check Point, Forcepoint, Barracuda and others) cannot be identified from the "
    "certificate: look for the issuer's name in your firewall's or proxy's "
    "decryption settings."
)


def tls_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    tls = obs.tls
    if tls is None:
        return []
    if tls.outcome is not Outcome.OK:
        code, words = _FAILURES.get(tls.outcome, _FAILURES[Outcome.ERROR])
        return [
            finding(
                code,
                f"{target.host}: {words}" + (f" ({tls.error})" if tls.error != words else ""),
                error=tls.error,
                via_proxy=obs.via_proxy,
            )
        ]
    reason = forgery_reason(tls, ctx)
    if reason is not None:
        return [_intercepted(target, tls, reason, ctx)]
    found = []
    primary = tls.trust[0]
    if not primary.trusted:
        found.append(
            finding(
                codes.TLS_UNTRUSTED,
                f"{target.host} presents Microsoft's own chain (issuer "
                f"{tls.chain[0].issuer_cn}), but the trust roots in {primary.store} cannot validate it",
                store=primary.store,
                error=primary.error,
                issuer=tls.chain[0].issuer,
            )
        )
    if tls.hostname_matches is False:
        found.append(
            finding(
                codes.TLS_HOSTNAME_MISMATCH,
                f"the certificate does not cover {target.host} (it names "
                f"{', '.join(tls.chain[0].dns_names) or tls.chain[0].subject})",
                names=list(tls.chain[0].dns_names),
                subject=tls.chain[0].subject,
            )
        )
    found.extend(_validity(target, obs, tls.chain))
    return found


def forgery_reason(tls: TlsObservation, ctx: RuleContext) -> str | None:
    """Why the presented chain is not Microsoft's, or None when it is."""
    if not tls.chain:
        return "the server presented no certificate"
    leaf = tls.chain[0]
    if leaf.self_signed:
        return "a self-signed certificate stands in Microsoft's place"
    if (leaf.issuer_cn or "").casefold() not in ctx.microsoft_names:
        return f"the issuer {leaf.issuer_cn or leaf.issuer!r} is not a CA Microsoft uses"
    issuing = next((c for c in tls.chain[1:] if c.subject == leaf.issuer), None)
    if issuing is not None and issuing.sha1 not in ctx.microsoft_thumbprints:
        return (
            f"the issuing CA is named {issuing.subject_cn!r} like Microsoft's, but its "
            f"thumbprint {issuing.sha1} is not one Microsoft publishes (forged)"
        )
    if issuing is not None and certs.signed_by(leaf, issuing) is False:
        return (
            f"the certificate names Microsoft's CA {leaf.issuer_cn!r} and presents it, but that "
            "CA's key did not sign it (forged)"
        )
    if issuing is None and not tls.trust[0].trusted:
        return (
            f"the certificate names Microsoft's CA {leaf.issuer_cn!r} but the issuing CA was "
            "not presented and the chain does not validate"
        )
    return None


def _intercepted(target: Target, tls: TlsObservation, reason: str, ctx: RuleContext) -> Finding:
    product = identify(tls.chain, ctx.products)
    leaf = tls.chain[0] if tls.chain else None
    who = f" by {product.name}" if product else ""
    return finding(
        codes.TLS_INTERCEPTED,
        f"{target.host}: TLS is intercepted{who}: {reason}.{_trust_sentence(tls)}",
        _remedy(target, product, ctx),
        issuer=leaf.issuer if leaf else None,
        interceptor=product.name if product else None,
        reason=reason,
        chain=[_brief(c) for c in tls.chain],
        trust=[{"store": v.store, "trusted": v.trusted} for v in tls.trust],
        microsoft_issuers=list(ctx.microsoft_issuers),
        bypass=list(ctx.bypass_domains),
    )


def _trust_sentence(tls: TlsObservation) -> str:
    """Which trust store accepts the forged chain: the sentence that ends the argument."""
    trusted = [v.store for v in tls.trust if v.trusted]
    if not trusted:
        return " No trust store on this host accepts it."
    refused = [v.store for v in tls.trust if not v.trusted]
    sentence = f" Trusted by: {', '.join(trusted)}"
    sentence += f"; not by: {', '.join(refused)}." if refused else "."
    if "system" in trusted:
        sentence += (
            " The operating system trusts this inspection CA, so browsers work, but the agent "
            "rejects it: it accepts only certificates from the CAs Microsoft uses."
        )
    return sentence


def _remedy(target: Target, product: Product | None, ctx: RuleContext) -> str:
    where = (
        f"on {product.name}: {product.exemption}"
        if product
        else "on the proxy or firewall that issued the certificate"
    )
    names = ", ".join(ctx.bypass_domains) or target.host
    text = f"Exclude these names from TLS inspection {where}: {names}."
    if target.bypass_inspection:
        text += " Microsoft requires these endpoints to bypass HTTPS inspection."
    if product is None:
        text += " " + _ADMIN_NAMED
    return text


def _brief(info: CertificateInfo) -> dict[str, str]:
    return {
        "subject": info.subject,
        "issuer": info.issuer,
        "sha1": info.sha1,
        "sha256": info.sha256,
        "not_before": info.not_before,
        "not_after": info.not_after,
        "key_type": info.key_type,
    }


def _validity(
    target: Target, obs: Observation, chain: tuple[CertificateInfo, ...]
) -> list[Finding]:
    at = dt.datetime.fromisoformat(obs.checked_at)
    # The leaf and its issuing CA: servers also send extra cross-signed certificates that an
    # up-to-date client never uses, and their dates say nothing about this path.
    path = chain[:1] + tuple(c for c in chain[1:] if chain and c.subject == chain[0].issuer)[:1]
    for info in path:
        problem = certs.validity_problem(info, at)
        if problem is None:
            continue
        server_date = obs.http.headers.get("date") if obs.http is not None else None
        return [
            finding(
                codes.TLS_EXPIRED,
                f"{target.host}: the certificate {info.subject_cn or info.subject!r} is {problem} "
                f"(valid {info.not_before} to {info.not_after}; this host's clock says {obs.checked_at})",
                subject=info.subject,
                not_before=info.not_before,
                not_after=info.not_after,
                local_time=obs.checked_at,
                server_date=server_date,
            )
        ]
    return []
