"""The demo CMDB that `manage.py demo_data` loads: a small estate for the two demo customers.

Five services (three business services, two shared technical services) with their catalogue
entries, 60 more CIs under them and 135 relationships: services depend on
applications, applications run on virtual machines and use databases, virtual machines run
on hypervisor hosts, hosts and databases use the SAN, everything connects to the core
network. Identity/SSO, the shared database platform, the SAN and the core switches are used
by several services, so impact analysis has something to show.

Everything goes through the services (numbers, history, journal, events) with the lead of the
owning team as actor, and live CIs pass through the lifecycle (build, go live) so their
history reads like a real one. Demo CIs are keyed by source "demo" and their external ID, so
a second run creates nothing; a demo CI someone edited or moved on is left as it is.
"""

from config_items import services
from config_items.choices import CatalogueStatus, CIStatus, Environment
from config_items.models import Baseline, CIType, ConfigurationItem, Relationship, RelationshipType
from itsm.models import Customer, Team, User
from itsm.workflow import transition_apply

SOURCE = "demo"

DESK, NET, APPS = "Service Desk", "Network Operations", "Application Support"
ACME, GLOBEX = "acme", "globex"
BOTH = (ACME, GLOBEX)

# Transitions that take a new (planned) CI to each status, in order.
PATH_TO = {
    CIStatus.PLANNED: (),
    CIStatus.IN_BUILD: ("build",),
    CIStatus.LIVE: ("build", "go_live"),
    CIStatus.IN_MAINTENANCE: ("build", "go_live", "maintain"),
    CIStatus.RETIRED: ("build", "go_live", "retire"),
}


def ci(key, type_slug, name, team, attributes, *, status=CIStatus.LIVE, env=Environment.PRODUCTION,
       customers=(), description="", **catalogue):
    return {
        "key": key, "type": type_slug, "name": name, "team": team, "attributes": attributes,
        "status": status, "environment": env, "customers": customers, "description": description,
        **catalogue,
    }


def service(key, type_slug, name, team, owner, hours, customers, criticality, description):
    return ci(
        key, type_slug, name, team, {"criticality": criticality}, customers=customers,
        description=description, service_owner=owner, hours_of_service=hours,
        catalogue_status=CatalogueStatus.LIVE,
    )


def server(key, hostname, ip, cpus, memory, serial, team=NET, **kw):
    return ci(key, "server", hostname, team, {
        "hostname": f"{hostname}.dc1.example.com", "ip_address": ip, "os": "VMware ESXi 8.0",
        "cpu_count": cpus, "memory_gb": memory, "serial_number": serial,
    }, **kw)


def vm(key, hostname, ip, os, vcpus, memory, team=APPS, **kw):
    return ci(key, "virtual-machine", hostname, team, {
        "hostname": f"{hostname}.dc1.example.com", "ip_address": ip, "os": os,
        "vcpu_count": vcpus, "memory_gb": memory,
    }, **kw)


def app(key, name, version, vendor, url="", team=APPS, **kw):
    return ci(key, "application", name, team, {"version": version, "vendor": vendor, **({"url": url} if url else {})}, **kw)


def db(key, name, engine, version, port, team=APPS, **kw):
    return ci(key, "database", name, team, {"engine": engine, "version": version, "port": port}, **kw)


def net(key, name, role, ip, model, serial, **kw):
    return ci(key, "network-device", name, NET, {
        "device_role": role, "management_ip": ip, "model": model, "serial_number": serial,
    }, **kw)


def storage(key, name, capacity, model, **kw):
    return ci(key, "storage", name, NET, {"capacity_tb": capacity, "model": model}, **kw)


DEBIAN, RHEL, WINDOWS = "Debian 12", "Red Hat Enterprise Linux 9", "Windows Server 2022"

CIS = [
    # --- Services (catalogue entries) --------------------------------------------------
    service("svc-shop", "business-service", "Online Shop", APPS, "applead", "24x7, 99.9% monthly", (GLOBEX,),
            "high", "Globex Retail's web shop: catalogue, basket, checkout and payment."),
    service("svc-erp", "business-service", "ERP", APPS, "applead", "Mon-Sat 06:00-22:00 CET", (ACME,),
            "high", "Acme Manufacturing's ERP: orders, production planning, stock, finance."),
    service("svc-email", "business-service", "Email & Collaboration", DESK, "lead",
            "24x7; support Mon-Fri 08:00-18:00", BOTH, "medium", "Mail, calendars and shared files for both customers."),
    service("svc-sso", "technical-service", "Identity & Single Sign-On", APPS, "applead", "24x7", BOTH,
            "high", "Central sign-in (OpenID Connect, SAML) backed by the corporate directory."),
    service("svc-dbplatform", "technical-service", "Shared Database Platform", APPS, "applead", "24x7", BOTH,
            "high", "Managed PostgreSQL, MariaDB and SQL Server for the hosted applications."),
    # --- Network -------------------------------------------------------------------------
    net("net-edge-rtr-01", "edge-rtr-01", "router", "10.0.0.1", "Cisco ASR 1001-X", "FXS2231Q0AB"),
    net("net-fw-01", "dc-fw-01", "firewall", "10.0.0.2", "Palo Alto PA-3220", "PA3220-0117"),
    net("net-fw-02", "dc-fw-02", "firewall", "10.0.0.3", "Palo Alto PA-3220", "PA3220-0118"),
    net("net-core-sw-01", "core-sw-01", "switch", "10.0.0.11", "Arista 7050X3", "JPE21380012"),
    net("net-core-sw-02", "core-sw-02", "switch", "10.0.0.12", "Arista 7050X3", "JPE21380013"),
    net("net-lb-01", "lb-01", "load-balancer", "10.0.0.21", "F5 BIG-IP i5800", "F5-LB-5521"),
    net("net-lb-02", "lb-02", "load-balancer", "10.0.0.22", "F5 BIG-IP i5800", "F5-LB-5522"),
    net("net-ap-hq-01", "ap-hq-01", "access-point", "10.20.0.31", "Aruba AP-535", "CNP7KD1234",
        description="Wi-Fi in the operations office."),
    # --- Storage -------------------------------------------------------------------------
    storage("sto-san-01", "san-01", 120, "NetApp AFF A400", description="Primary SAN, data centre 1."),
    storage("sto-san-02", "san-02", 120, "NetApp AFF A400", description="SnapMirror target of san-01."),
    storage("sto-backup-nas-01", "backup-nas-01", 400, "Synology RS4021xs+"),
    # --- Hosts ---------------------------------------------------------------------------
    server("srv-esx-01", "esx-01", "10.1.0.11", 64, 768, "CZ2301A1B1"),
    server("srv-esx-02", "esx-02", "10.1.0.12", 64, 768, "CZ2301A1B2"),
    server("srv-esx-03", "esx-03", "10.1.0.13", 64, 768, "CZ2301A1B3"),
    server("srv-esx-04", "esx-04", "10.1.0.14", 64, 768, "CZ2301A1B4", status=CIStatus.IN_MAINTENANCE,
           description="Memory module replacement (vendor case 4471)."),
    server("srv-esx-05", "esx-05", "10.1.0.15", 48, 512, "CZ2207X9C5"),
    server("srv-esx-06", "esx-06", "10.1.0.16", 48, 512, "CZ2207X9C6"),
    ci("srv-db-01", "server", "db-01", APPS, {
        "hostname": "db-01.dc1.example.com", "ip_address": "10.1.1.21", "os": RHEL,
        "cpu_count": 32, "memory_gb": 512, "serial_number": "CZ2302D0B1"}),
    ci("srv-db-02", "server", "db-02", APPS, {
        "hostname": "db-02.dc1.example.com", "ip_address": "10.1.1.22", "os": RHEL,
        "cpu_count": 32, "memory_gb": 512, "serial_number": "CZ2302D0B2"}),
    ci("srv-mail-legacy", "server", "mail-legacy-01", DESK, {
        "hostname": "mail-legacy-01.dc1.example.com", "ip_address": "10.1.1.40", "os": "Debian 10",
        "cpu_count": 8, "memory_gb": 64, "serial_number": "CZ1702M001"},
       status=CIStatus.RETIRED, description="Old mail server, replaced by the mail VMs."),
    # --- Virtual machines ----------------------------------------------------------------
    vm("vm-shop-web-01", "shop-web-01", "10.2.0.11", DEBIAN, 4, 8, customers=(GLOBEX,)),
    vm("vm-shop-web-02", "shop-web-02", "10.2.0.12", DEBIAN, 4, 8, customers=(GLOBEX,)),
    vm("vm-shop-app-01", "shop-app-01", "10.2.0.21", DEBIAN, 8, 16, customers=(GLOBEX,)),
    vm("vm-shop-app-02", "shop-app-02", "10.2.0.22", DEBIAN, 8, 16, customers=(GLOBEX,)),
    vm("vm-shop-web-stg", "shop-web-stg-01", "10.3.0.11", DEBIAN, 2, 4, customers=(GLOBEX,),
       env=Environment.STAGING, status=CIStatus.IN_BUILD),
    vm("vm-erp-app-01", "erp-app-01", "10.2.1.11", WINDOWS, 8, 32, customers=(ACME,)),
    vm("vm-erp-app-02", "erp-app-02", "10.2.1.12", WINDOWS, 8, 32, customers=(ACME,)),
    vm("vm-erp-batch-01", "erp-batch-01", "10.2.1.21", WINDOWS, 4, 16, customers=(ACME,)),
    vm("vm-erp-test-01", "erp-test-01", "10.3.1.11", WINDOWS, 4, 16, customers=(ACME,),
       env=Environment.TEST, status=CIStatus.PLANNED, description="Test system for the ERP upgrade."),
    vm("vm-mail-mx-01", "mail-mx-01", "10.2.2.11", DEBIAN, 4, 8, team=DESK),
    vm("vm-mail-mx-02", "mail-mx-02", "10.2.2.12", DEBIAN, 4, 8, team=DESK),
    vm("vm-mail-store-01", "mail-store-01", "10.2.2.21", DEBIAN, 8, 32, team=DESK),
    vm("vm-collab-01", "collab-01", "10.2.2.31", DEBIAN, 8, 16, team=DESK),
    vm("vm-idp-01", "idp-01", "10.2.3.11", RHEL, 4, 8),
    vm("vm-idp-02", "idp-02", "10.2.3.12", RHEL, 4, 8),
    vm("vm-ldap-01", "ldap-01", "10.2.3.21", RHEL, 2, 4),
    vm("vm-ldap-02", "ldap-02", "10.2.3.22", RHEL, 2, 4),
    vm("vm-monitor-01", "monitor-01", "10.2.9.11", DEBIAN, 4, 16, team=NET),
    vm("vm-backup-01", "backup-01", "10.2.9.21", DEBIAN, 4, 16, team=NET),
    # --- Applications --------------------------------------------------------------------
    app("app-shop-front", "Shop storefront", "3.14.2", "Globex in-house", "https://shop.globex.example.com/",
        customers=(GLOBEX,)),
    app("app-shop-api", "Shop API", "3.14.2", "Globex in-house", customers=(GLOBEX,)),
    app("app-payment", "Payment gateway connector", "2.1.0", "Adyen", customers=(GLOBEX,)),
    app("app-shop-front-stg", "Shop storefront (staging)", "3.15.0-rc1", "Globex in-house",
        customers=(GLOBEX,), env=Environment.STAGING, status=CIStatus.IN_BUILD),
    app("app-erp-core", "ERP core", "17.0", "Odoo", "https://erp.acme.example.com/", customers=(ACME,)),
    app("app-erp-batch", "ERP batch scheduler", "17.0", "Odoo", customers=(ACME,)),
    app("app-erp-reports", "ERP reporting", "2022", "Microsoft SSRS", customers=(ACME,)),
    app("app-postfix", "Mail transfer (Postfix)", "3.7.11", "Postfix", team=DESK),
    app("app-dovecot", "Mailbox server (Dovecot)", "2.3.19", "Dovecot", team=DESK),
    app("app-nextcloud", "Collaboration (Nextcloud)", "29.0.4", "Nextcloud", "https://cloud.example.com/", team=DESK),
    app("app-keycloak", "Keycloak", "25.0.2", "Red Hat", "https://sso.example.com/"),
    app("app-ldap", "Corporate directory (OpenLDAP)", "2.6.8", "OpenLDAP"),
    app("app-monitoring", "Monitoring (Zabbix)", "7.0.2", "Zabbix", "https://monitor.example.com/", team=NET),
    app("app-backup", "Backup (Bareos)", "23.0.3", "Bareos", team=NET),
    # --- Databases -----------------------------------------------------------------------
    db("db-shop", "shop-db", "postgresql", "16.3", 5432, customers=(GLOBEX,)),
    db("db-shop-replica", "shop-db-replica", "postgresql", "16.3", 5432, customers=(GLOBEX,),
       description="Streaming replica of shop-db, read-only reporting."),
    db("db-erp", "erp-db", "postgresql", "16.3", 5432, customers=(ACME,)),
    db("db-erp-reporting", "erp-reporting-db", "sqlserver", "2022", 1433, customers=(ACME,)),
    db("db-collab", "collab-db", "mariadb", "10.11", 3306),
    db("db-keycloak", "keycloak-db", "postgresql", "16.3", 5432),
    db("db-monitoring", "monitoring-db", "postgresql", "16.3", 5432, team=NET),
]

DEPENDS, RUNS, CONNECTS, PART = "depends-on", "runs-on", "connects-to", "part-of"

ESX = ["srv-esx-01", "srv-esx-02", "srv-esx-03", "srv-esx-04", "srv-esx-05", "srv-esx-06"]
PHYSICAL = ESX + ["srv-db-01", "srv-db-02"]
CORE = ["net-core-sw-01", "net-core-sw-02"]

# (source, type, target): the source depends on the target.
RELATIONSHIPS = [
    # Services on applications and on the shared technical services.
    ("svc-shop", DEPENDS, "app-shop-front"), ("svc-shop", DEPENDS, "app-shop-api"),
    ("svc-shop", DEPENDS, "app-payment"), ("svc-shop", DEPENDS, "svc-sso"),
    ("svc-shop", DEPENDS, "svc-dbplatform"), ("svc-shop", DEPENDS, "net-lb-01"),
    ("svc-shop", DEPENDS, "net-lb-02"),
    ("svc-erp", DEPENDS, "app-erp-core"), ("svc-erp", DEPENDS, "app-erp-batch"),
    ("svc-erp", DEPENDS, "app-erp-reports"), ("svc-erp", DEPENDS, "svc-sso"),
    ("svc-erp", DEPENDS, "svc-dbplatform"),
    ("svc-email", DEPENDS, "app-postfix"), ("svc-email", DEPENDS, "app-dovecot"),
    ("svc-email", DEPENDS, "app-nextcloud"), ("svc-email", DEPENDS, "svc-sso"),
    ("svc-sso", DEPENDS, "app-keycloak"), ("svc-sso", DEPENDS, "app-ldap"),
    ("svc-dbplatform", DEPENDS, "db-shop"), ("svc-dbplatform", DEPENDS, "db-shop-replica"),
    ("svc-dbplatform", DEPENDS, "db-erp"), ("svc-dbplatform", DEPENDS, "db-erp-reporting"),
    ("svc-dbplatform", DEPENDS, "db-collab"), ("svc-dbplatform", DEPENDS, "db-keycloak"),
    ("svc-dbplatform", DEPENDS, "srv-db-01"), ("svc-dbplatform", DEPENDS, "srv-db-02"),
    # Applications on their VMs, databases and each other.
    ("app-shop-front", RUNS, "vm-shop-web-01"), ("app-shop-front", RUNS, "vm-shop-web-02"),
    ("app-shop-front", DEPENDS, "app-shop-api"),
    ("app-shop-api", RUNS, "vm-shop-app-01"), ("app-shop-api", RUNS, "vm-shop-app-02"),
    ("app-shop-api", DEPENDS, "db-shop"), ("app-shop-api", DEPENDS, "app-payment"),
    ("app-shop-api", DEPENDS, "app-keycloak"),
    ("app-payment", RUNS, "vm-shop-app-01"), ("app-payment", RUNS, "vm-shop-app-02"),
    ("app-payment", CONNECTS, "net-fw-01"),
    ("app-shop-front-stg", RUNS, "vm-shop-web-stg"),
    ("app-erp-core", RUNS, "vm-erp-app-01"), ("app-erp-core", RUNS, "vm-erp-app-02"),
    ("app-erp-core", DEPENDS, "db-erp"), ("app-erp-core", DEPENDS, "app-keycloak"),
    ("app-erp-batch", RUNS, "vm-erp-batch-01"), ("app-erp-batch", DEPENDS, "db-erp"),
    ("app-erp-batch", DEPENDS, "app-erp-core"),
    ("app-erp-reports", RUNS, "vm-erp-batch-01"), ("app-erp-reports", DEPENDS, "db-erp-reporting"),
    ("app-erp-reports", DEPENDS, "db-shop-replica"),
    ("app-postfix", RUNS, "vm-mail-mx-01"), ("app-postfix", RUNS, "vm-mail-mx-02"),
    ("app-postfix", DEPENDS, "app-ldap"), ("app-postfix", CONNECTS, "net-fw-01"),
    ("app-postfix", CONNECTS, "net-fw-02"),
    ("app-dovecot", RUNS, "vm-mail-store-01"), ("app-dovecot", DEPENDS, "app-ldap"),
    ("app-nextcloud", RUNS, "vm-collab-01"), ("app-nextcloud", DEPENDS, "db-collab"),
    ("app-nextcloud", DEPENDS, "app-keycloak"),
    ("app-keycloak", RUNS, "vm-idp-01"), ("app-keycloak", RUNS, "vm-idp-02"),
    ("app-keycloak", DEPENDS, "db-keycloak"), ("app-keycloak", DEPENDS, "app-ldap"),
    ("app-ldap", RUNS, "vm-ldap-01"), ("app-ldap", RUNS, "vm-ldap-02"),
    ("app-monitoring", RUNS, "vm-monitor-01"), ("app-monitoring", DEPENDS, "db-monitoring"),
    ("app-backup", RUNS, "vm-backup-01"), ("app-backup", DEPENDS, "sto-backup-nas-01"),
    # Databases on the database servers, replicas on the other one.
    ("db-shop", RUNS, "srv-db-01"), ("db-shop-replica", RUNS, "srv-db-02"),
    ("db-shop-replica", DEPENDS, "db-shop"),
    ("db-erp", RUNS, "srv-db-01"), ("db-erp-reporting", RUNS, "srv-db-02"),
    ("db-collab", RUNS, "srv-db-02"), ("db-keycloak", RUNS, "srv-db-01"),
    ("db-monitoring", RUNS, "vm-monitor-01"),
    # Virtual machines on hosts (one host each; a cluster would move them).
    ("vm-shop-web-01", RUNS, "srv-esx-01"), ("vm-shop-web-02", RUNS, "srv-esx-02"),
    ("vm-shop-app-01", RUNS, "srv-esx-03"), ("vm-shop-app-02", RUNS, "srv-esx-04"),
    ("vm-shop-web-stg", RUNS, "srv-esx-06"),
    ("vm-erp-app-01", RUNS, "srv-esx-01"), ("vm-erp-app-02", RUNS, "srv-esx-02"),
    ("vm-erp-batch-01", RUNS, "srv-esx-05"), ("vm-erp-test-01", RUNS, "srv-esx-06"),
    ("vm-mail-mx-01", RUNS, "srv-esx-03"), ("vm-mail-mx-02", RUNS, "srv-esx-04"),
    ("vm-mail-store-01", RUNS, "srv-esx-05"), ("vm-collab-01", RUNS, "srv-esx-05"),
    ("vm-idp-01", RUNS, "srv-esx-01"), ("vm-idp-02", RUNS, "srv-esx-02"),
    ("vm-ldap-01", RUNS, "srv-esx-03"), ("vm-ldap-02", RUNS, "srv-esx-04"),
    ("vm-monitor-01", RUNS, "srv-esx-06"), ("vm-backup-01", RUNS, "srv-esx-06"),
    ("vm-backup-01", DEPENDS, "sto-backup-nas-01"), ("vm-mail-store-01", DEPENDS, "sto-san-01"),
    # Hosts and databases on the SAN; the SAN replicates to the second one.
    *((host, DEPENDS, "sto-san-01") for host in PHYSICAL),
    ("sto-san-01", DEPENDS, "sto-san-02"),
    # Every physical box has a leg in both core switches; the switches sit behind the firewalls.
    *((box, CONNECTS, switch) for box in PHYSICAL + ["sto-san-01", "sto-san-02", "sto-backup-nas-01"]
      for switch in CORE),
    ("net-core-sw-01", CONNECTS, "net-fw-01"), ("net-core-sw-02", CONNECTS, "net-fw-02"),
    ("net-lb-01", CONNECTS, "net-core-sw-01"), ("net-lb-02", CONNECTS, "net-core-sw-02"),
    ("net-fw-01", CONNECTS, "net-edge-rtr-01"), ("net-fw-02", CONNECTS, "net-edge-rtr-01"),
    ("net-ap-hq-01", CONNECTS, "net-core-sw-01"),
]

# A baseline of the online shop as it went live: (root, name, reason).
BASELINES = [
    ("svc-shop", "Online Shop at go-live", "Reference configuration agreed with Globex Retail at go-live."),
]


def load(*, admin) -> dict:
    """Create the demo CMDB objects that are missing; return counts of what was created.

    Needs the demo users, teams and customers; the caller runs it in its transaction.
    """
    teams = {team.name: team for team in Team.objects.filter(name__in=[DESK, NET, APPS]).select_related("lead")}
    customers = {c.code: c for c in Customer.objects.filter(code__in=BOTH)}
    users = {u.username: u for u in User.objects.filter(username__in=["lead", "applead", "netlead"])}
    types = {t.slug: t for t in CIType.objects.all()}
    relationship_types = {t.slug: t for t in RelationshipType.objects.all()}
    existing = {
        ci.external_id: ci for ci in ConfigurationItem.objects.filter(source=SOURCE, external_id__in=[c["key"] for c in CIS])
    }
    created = {"cis": 0, "relationships": 0, "baselines": 0}

    def actor_for(team_name):
        team = teams.get(team_name)
        return team.lead if team is not None and team.lead is not None else admin

    items = dict(existing)
    for spec in CIS:
        if spec["key"] in items:
            continue
        actor = actor_for(spec["team"])
        data = {
            "name": spec["name"],
            "ci_type": types[spec["type"]],
            "environment": spec["environment"],
            "description": spec["description"],
            "owner_team": teams.get(spec["team"]),
            "customers": [customers[code] for code in spec["customers"] if code in customers],
            "attributes": spec["attributes"],
            "source": SOURCE,
            "external_id": spec["key"],
        }
        if "service_owner" in spec:
            data.update(
                service_owner=users.get(spec["service_owner"]),
                hours_of_service=spec["hours_of_service"],
                catalogue_status=spec["catalogue_status"],
            )
        item = services.ci_create(actor=actor, data=data)
        for name in PATH_TO[spec["status"]]:
            item = transition_apply(actor=actor, record=item, name=name, reason=_REASONS.get(name, ""))
        items[spec["key"]] = item
        created["cis"] += 1

    have = set(
        Relationship.objects.filter(source__in=items.values()).values_list("source_id", "target_id", "type__slug")
    )
    for source_key, type_slug, target_key in RELATIONSHIPS:
        source, target = items[source_key], items[target_key]
        if (source.pk, target.pk, type_slug) in have:
            continue
        services.relationship_create(
            actor=actor_for(_team_of(source_key)), source=source, target=target, type=relationship_types[type_slug]
        )
        have.add((source.pk, target.pk, type_slug))
        created["relationships"] += 1

    for root_key, name, reason in BASELINES:
        root = items[root_key]
        if Baseline.objects.filter(root=root, name=name).exists():
            continue
        services.baseline_create(actor=actor_for(_team_of(root_key)), root=root, name=name, reason=reason)
        created["baselines"] += 1
    return created


_REASONS = {
    "build": "Build started (demo data).",
    "go_live": "Handed over to operations (demo data).",
    "maintain": "Planned maintenance (demo data).",
    "retire": "Decommissioned (demo data).",
}
_TEAM_OF = {spec["key"]: spec["team"] for spec in CIS}


def _team_of(key: str) -> str:
    return _TEAM_OF[key]


def demo_step(options: dict) -> list[str]:
    """The CMDB's step of `manage.py demo_data` (registered in ConfigItemsConfig.ready())."""
    created = load(admin=User.objects.get(username="admin"))
    return [f"Demo CMDB: {created['cis']} CI(s), {created['relationships']} relationship(s) and "
            f"{created['baselines']} baseline(s) created, the rest already existed."]
