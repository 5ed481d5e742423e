"""``--output html``: one self-contained page (inline CSS and JavaScript, no network).

The page has four parts:

* a summary and what the activity could and could not show (coverage);
* the organization tree under the reported entity, each node with the
  number of services its SCPs allow, and how many of those were used and
  unused (each node's own report; unused = not used in ``--days`` days for
  ``unused``, in the tracking period for ``report``); OUs expand and
  collapse (``<details>``), with buttons to expand or collapse all;
* the services of the report in a table sorted by clicking a column head;
* accounts x services: for each counted account and each service some
  counted account used, the age of the last use (its time on hover).

Every text from the input (names, ids, paths, regions) is escaped with
:func:`html.escape`; no input text is placed inside the script, and a
Content-Security-Policy forbids every network request.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..engine.evaluation import Evaluator
from ..engine.report import ReportOptions, build_report
from ..model.events import ActivityIndex
from ..model.organization import Organization
from ._inputs import Outcome
from .orgtree import org_tree
from .output import iso, relative_age

__all__ = ["NodeCounts", "node_counts", "page_for", "render_page"]

NodeCounts = tuple[int, int, int]  # allowed, used, unused

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; }
h1 { font-size: 1.4em; margin: 0 0 .3em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.meta { color: #555; } .ok { color: #17663a; } .warn { color: #9a3b00; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.3em; margin: 0; }
ul.tree { padding-left: 0; }
.node { display: inline-flex; gap: .6em; align-items: baseline; padding: 1px 0; }
.kind { font-size: .75em; padding: 0 .4em; border-radius: 3px; background: #e3e8f0; }
.id { font-family: ui-monospace, monospace; color: #445; }
.count { font-variant-numeric: tabular-nums; }
.used { color: #17663a; } .unused { color: #9a3b00; }
summary { cursor: pointer; }
table { border-collapse: collapse; margin-top: .4em; }
th, td { border-bottom: 1px solid #dde; padding: 3px 8px; text-align: left; white-space: nowrap; }
th[data-type] { cursor: pointer; user-select: none; background: #f3f5f9; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.status-unused td:first-child { border-left: 3px solid #d9822b; }
tr.status-used td:first-child { border-left: 3px solid #2e9e5b; }
.matrix td { text-align: center; font-size: .85em; } .matrix td.none { color: #bbb; }
.scroll { overflow-x: auto; max-width: 100%; }
button { margin-right: .4em; }
"""

_JS = """
(function () {
  'use strict';
  function cellValue(row, index, type) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.textContent;
    if (type === 'number') { return raw === '' ? Infinity : Number(raw); }  // blanks last
    return raw;
  }
  function sortBy(th) {
    var table = th.closest('table');
    var body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var type = th.getAttribute('data-type');
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type), y = cellValue(b, index, type);
      var order = x < y ? -1 : (x > y ? 1 : 0);
      if (order === 0) {
        var p = a.cells[0].textContent, q = b.cells[0].textContent;
        order = p < q ? -1 : (p > q ? 1 : 0);
        return order;
      }
      return ascending ? order : -order;
    });
    table.querySelectorAll('th[aria-sort]').forEach(function (other) {
      other.removeAttribute('aria-sort');
    });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll('table.sortable th[data-type]').forEach(function (th) {
    th.addEventListener('click', function () { sortBy(th); });
    th.tabIndex = 0;
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { sortBy(th); } });
  });
  function setAll(open) {
    document.querySelectorAll('#tree details').forEach(function (d) { d.open = open; });
  }
  document.getElementById('expand-all').addEventListener('click', function () { setAll(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setAll(false); });
}());
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def node_counts(
    org: Organization,
    index: ActivityIndex,
    evaluator: Evaluator,
    options: ReportOptions,
    entity_ids: Iterable[str],
    *,
    as_of: datetime,
    days: int,
) -> dict[str, NodeCounts]:
    """(allowed, used in the last ``days`` days, unused) of each entity's own report."""
    cutoff = as_of - timedelta(days=days)
    counts: dict[str, NodeCounts] = {}
    for entity_id in entity_ids:
        report = build_report(
            org, index, org.path_of(entity_id), created=as_of, options=options, evaluator=evaluator
        )
        used = sum(
            1
            for d in report.details
            if d.last_authenticated_time is not None and d.last_authenticated_time >= cutoff
        )
        counts[entity_id] = (len(report.details), used, len(report.details) - used)
    return counts


_KIND = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "OU", "ACCOUNT": "account"}


def _node_html(node: dict[str, Any], counts: dict[str, NodeCounts], depth: int) -> str:
    allowed, used, unused = counts[node["Id"]]
    scps = ", ".join(p["Name"] or p["Id"] for p in node["Scps"]) or "no SCP"
    management = " (management account)" if node["Management"] else ""
    label = (
        f'<span class="node" data-id="{_e(node["Id"])}">'
        f'<span class="kind">{_KIND[node["Type"]]}</span>'
        f'<span class="name">{_e(node["Name"])}{management}</span>'
        f'<span class="id">{_e(node["Id"])}</span>'
        f'<span class="count" title="services allowed by SCPs">{allowed} allowed</span>'
        f'<span class="count used">{used} used</span>'
        f'<span class="count unused">{unused} unused</span>'
        f'<span class="meta" title="SCPs attached here">[{_e(scps)}]</span></span>'
    )
    if not node["Children"]:
        return f"<li>{label}</li>"
    inner = "".join(_node_html(child, counts, depth + 1) for child in node["Children"])
    opened = " open" if depth == 0 else ""
    return f"<li><details{opened}><summary>{label}</summary><ul>{inner}</ul></details></li>"


def _services_table(
    details: Sequence[dict[str, Any]], cutoff: datetime, as_of: datetime, excluded: frozenset[str]
) -> str:
    head = (
        '<table id="services" class="sortable"><thead><tr>'
        '<th data-type="text">Namespace</th><th data-type="text">Service</th>'
        '<th data-type="text">Status</th><th data-type="text">Last used</th>'
        '<th data-type="number">Days ago</th><th data-type="text">Region</th>'
        '<th data-type="number">Accounts</th><th data-type="text">By</th>'
        "</tr></thead><tbody>"
    )
    rows = []
    for d in details:
        ns = d["ServiceNamespace"]
        when = d.get("LastAuthenticatedTime")
        if ns in excluded:
            status = "excluded"
        elif when is not None and when >= cutoff:
            status = "used"
        else:
            status = "unused"
        age_days = "" if when is None else str((as_of - when).days)
        rows.append(
            f'<tr class="status-{status}"><td>{_e(ns)}</td><td>{_e(d["ServiceName"])}</td>'
            f"<td>{status}</td>"
            f'<td data-value="{_e(iso(when)) if when else ""}">'
            f"{_e(iso(when)) if when else 'never used'}</td>"
            f'<td class="num" data-value="{age_days}">{age_days or "-"}</td>'
            f"<td>{_e(d.get('Region', '-')) if when else '-'}</td>"
            f'<td class="num">{int(d["TotalAuthenticatedEntities"])}</td>'
            f"<td>{_e(d.get('EntityPath', '-'))}</td></tr>"
        )
    return head + "".join(rows) + "</tbody></table>"


def _matrix(
    org: Organization,
    index: ActivityIndex,
    accounts: Sequence[str],
    namespaces: Sequence[str],
    *,
    start: datetime,
    as_of: datetime,
) -> str:
    if not accounts or not namespaces:
        return '<p class="meta">No counted account used a listed service in the period.</p>'
    head = "".join(f'<th data-type="number">{_e(ns)}</th>' for ns in namespaces)
    rows = []
    for account in accounts:
        name = org.account(account).name
        cells = []
        for ns in namespaces:
            last = index.get(account, ns)
            if last is None or not start <= last.time <= as_of:
                cells.append('<td class="none" data-value="">&middot;</td>')
            else:
                age = (as_of - last.time).days
                cells.append(
                    f'<td data-value="{age}" title="{_e(iso(last.time))} in {_e(last.region)}">'
                    f"{_e(relative_age(last.time, as_of))}</td>"
                )
        rows.append(
            f'<tr><td class="id">{_e(account)}</td><td>{_e(name)}</td>{"".join(cells)}</tr>'
        )
    return (
        '<div class="scroll"><table id="matrix" class="sortable matrix"><thead><tr>'
        '<th data-type="text">Account</th><th data-type="text">Name</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_page(
    *,
    title: str,
    summary: str,
    coverage_html: str,
    tree_html: str,
    services_html: str,
    matrix_html: str,
) -> str:
    """The page around its parts (each part already escaped HTML)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style></head>
<body>
<h1>{title}</h1>
<p class="meta">{summary}</p>
{coverage_html}
<h2>Organization</h2>
<p><button type="button" id="expand-all">Expand all</button><button type="button"
id="collapse-all">Collapse all</button></p>
<ul id="tree" class="tree">{tree_html}</ul>
<h2>Services</h2>
<p class="meta">Click a column head to sort.</p>
{services_html}
<h2>Accounts &times; services: last use</h2>
{matrix_html}
<p class="meta">Made by orgaccess. This page loads nothing from the network.</p>
<script>{_JS}</script>
</body></html>
"""


def page_for(outcome: Outcome, *, days: int | None, excluded: Iterable[str] = ()) -> str:
    """The page of a ``report`` (``days=None``: the tracking period) or ``unused`` outcome.

    The services table keeps the report's order (``--sort-key``); the reader re-sorts it.
    """
    request, response, index = outcome.request, outcome.response, outcome.index
    org, as_of = request.org, request.as_of
    tracking = request.options.tracking_days
    period = tracking if days is None else min(days, tracking)
    cutoff = as_of - timedelta(days=period)
    start = as_of - timedelta(days=tracking)
    options = ReportOptions(
        tracking_days=tracking,
        resources=request.options.resources,
        partition=request.options.partition,
    )
    evaluator = Evaluator(
        org, request.catalog, resources=options.resources, partition=options.partition
    )
    tree = org_tree(org, str(request.entity_id))
    ids = [str(request.entity_id), *(str(e) for e in org.descendants(request.entity_id))]
    counts = node_counts(org, index, evaluator, options, ids, as_of=as_of, days=period)
    details = response["AccessDetails"]
    excluded_set = frozenset(excluded)
    used = [d for d in details if (t := d.get("LastAuthenticatedTime")) and t >= cutoff]
    unused = [d for d in details if d not in used and d["ServiceNamespace"] not in excluded_set]
    policy = f", policy {request.policy_id}" if request.policy_id else ""
    title = _e(f"Access report for {request.entity_path}{policy}")
    summary = _e(
        f"As of {iso(as_of)}: {len(details)} services allowed by SCPs, {len(used)} used and "
        f"{len(unused)} unused in the last {period} days (tracking period {tracking} days)."
    )
    coverage = outcome.coverage
    if coverage.complete:
        coverage_html = (
            f'<p class="ok">The activity read covers the {period}-day period for every '
            f"counted account ({coverage.accounts_seen} of {coverage.accounts_counted}).</p>"
        )
    else:
        items = "".join(f"<li>{_e(g.message)}</li>" for g in coverage.gaps)
        coverage_html = (
            f'<div class="warn"><p>Not seen by this report (unused may be wrong):</p>'
            f"<ul>{items}</ul></div>"
        )
    if coverage.caveats:
        coverage_html += "".join(f'<p class="meta">{_e(c)}</p>' for c in coverage.caveats)
    accounts = sorted(
        (str(a) for a in _counted(request, org)), key=lambda a: (org.account(a).name, a)
    )
    namespaces = sorted(
        {d["ServiceNamespace"] for d in details if d.get("LastAuthenticatedTime") is not None}
    )
    return render_page(
        title=title,
        summary=summary,
        coverage_html=coverage_html,
        tree_html=_node_html(tree, counts, 0),
        services_html=_services_table(details, cutoff, as_of, excluded_set),
        matrix_html=_matrix(org, index, accounts, namespaces, start=start, as_of=as_of),
    )


def _counted(request: Any, org: Organization) -> frozenset[str]:
    from ..engine.report import counted_accounts

    management = org.is_management_account(request.entity_id)
    return frozenset(
        str(a)
        for a in counted_accounts(
            org,
            request.entity_id,
            None if management else request.policy_id,
            request.options.policy_scope,
        )
    )
