"""Rules for the TLS handshake and the presented chain, interception first."""

from __future__ import annotations

import datetime as dt

from netcheck import certs
from netcheck.findings import codes
from netcheck.findings.base import RuleContext, finding
from netcheck.interceptors import Product, identify
from netcheck.models import (
    CertificateInfo,
    Finding,
    Observation,
    Outcome,
    Target,
    TlsObservation,
    TrustVerdict,
)

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
        if tls.legacy_version is not None:
            return [_legacy_only(target, obs, tls)]
        code, words = _FAILURES.get(tls.outcome, _FAILURES[Outcome.ERROR])
        return [
            finding(
                code,
                f"{target.host}: {words}" + (f" ({tls.error})" if tls.error != words else ""),
                error=tls.error,
                via_proxy=obs.via_proxy,
            )
        ]
    found = []
    reason = forgery_reason(tls, ctx)
    if reason is not None:
        anchored = published_path(tls, ctx)
        # A forger cannot produce a chain to a root Microsoft publishes: only a chain that
        # does not reach one is interception. One that does is a CA newer than the catalogue.
        if anchored is None:
            return [_intercepted(target, tls, reason, ctx)]
        found.append(_stale(target, tls, anchored))
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
    found.extend(_expiring(target, obs, tls.chain, ctx.expiry_warning_days))
    return found


def published_path(tls: TlsObservation, ctx: RuleContext) -> TrustVerdict | None:
    """A trust store's verified path from the leaf, through at least one CA, to a root the
    catalogue lists by thumbprint; None when no store found one."""
    for verdict in tls.trust:
        path = verdict.path
        if verdict.trusted and len(path) >= 2 and path[-1] in ctx.microsoft_roots:
            return verdict
    return None


def _stale(target: Target, tls: TlsObservation, anchored: TrustVerdict) -> Finding:
    leaf = tls.chain[0]
    issuing = leaf.issuer_cn or leaf.issuer
    return finding(
        codes.CATALOGUE_STALE,
        f"{target.host}: the issuing CA {issuing!r} (SHA-1 {anchored.path[1]}) is not in the "
        f"catalogue, but the chain verifies up to {anchored.anchor} (SHA-1 "
        f"{anchored.path[-1]}), a root the catalogue lists: a Microsoft CA newer than the "
        "catalogue, not interception",
        ca=leaf.issuer,
        sha1=anchored.path[1],
        root=anchored.anchor,
        root_sha1=anchored.path[-1],
        store=anchored.store,
    )


def _legacy_only(target: Target, obs: Observation, tls: TlsObservation) -> Finding:
    version = tls.legacy_version or ""
    if version in _MODERN:
        what = f"completes a handshake only with legacy ciphers ({version}, {tls.legacy_cipher})"
    else:
        what = f"speaks only {version} or older (it chose {tls.legacy_cipher})"
    return finding(
        codes.TLS_PROTOCOL,
        f"{target.host}: the server {what}: a second handshake that allowed TLS 1.0 and "
        f"legacy ciphers succeeded, where TLS 1.2 or newer with current ciphers ended: "
        f"{tls.error}",
        error=tls.error,
        server_version=version,
        server_cipher=tls.legacy_cipher,
        via_proxy=obs.via_proxy,
    )


_MODERN = ("TLSv1.2", "TLSv1.3")


def _expiring(
    target: Target, obs: Observation, chain: tuple[CertificateInfo, ...], days: int
) -> list[Finding]:
    """The presented certificate (leaf or intermediate) that expires first within `days`."""
    if days == 0:
        return []
    at = dt.datetime.fromisoformat(obs.checked_at)
    soon = sorted(
        (
            (dt.datetime.fromisoformat(c.not_after) - at, c)
            for c in chain
            if chain and (c is chain[0] or not c.self_signed)
        ),
        key=lambda pair: pair[0],
    )
    due = [(left, c) for left, c in soon if dt.timedelta(0) <= left <= dt.timedelta(days=days)]
    if not due:
        return []
    left, info = due[0]
    which = "leaf" if info is chain[0] else "intermediate"
    return [
        finding(
            codes.TLS_EXPIRING,
            f"{target.host}: the {which} certificate {info.subject_cn or info.subject!r} "
            f"expires in {left.days} days ({info.not_after}; warning window {days} days)",
            **_brief(info),
            days_left=left.days,
            certificate=which,
            window_days=days,
        )
    ]


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
                **_brief(info),
                local_time=obs.checked_at,
                server_date=server_date,
            )
        ]
    return []
