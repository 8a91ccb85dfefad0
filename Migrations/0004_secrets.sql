-- Envelope encryption: each tenant's data keys, wrapped by a versioned master key from configuration, and a
-- store of write-only tenant secrets sealed under them. Nothing here is readable without the master key.

CREATE TABLE tenant_data_keys (
    tenant_id      uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    version        integer     NOT NULL CHECK (version > 0),
    master_version integer     NOT NULL CHECK (master_version > 0),
    wrapped_key    text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    rewrapped_at   timestamptz,
    PRIMARY KEY (tenant_id, version)
);
CREATE INDEX tenant_data_keys_master ON tenant_data_keys (tenant_id, master_version);
ALTER TABLE tenant_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_data_keys
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON tenant_data_keys TO chorus_app;

CREATE TABLE tenant_secrets (
    tenant_id  uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name       text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    sealed     text        NOT NULL,
    last4      text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE tenant_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_secrets
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_secrets TO chorus_app;
