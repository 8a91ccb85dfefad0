-- Each tenant's own PII recognizers and its PII policy (operators, allow-list, masking before model calls).

CREATE TABLE pii_recognizers (
    tenant_id     uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    recognizer_id uuid        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    definition    jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, recognizer_id)
);
CREATE UNIQUE INDEX pii_recognizers_name ON pii_recognizers (tenant_id, name);
ALTER TABLE pii_recognizers ENABLE ROW LEVEL SECURITY;
ALTER TABLE pii_recognizers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pii_recognizers
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON pii_recognizers TO chorus_app;

CREATE TABLE pii_policies (
    tenant_id  uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    policy     jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
ALTER TABLE pii_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE pii_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pii_policies
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON pii_policies TO chorus_app;
