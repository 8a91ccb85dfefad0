-- API keys, refresh tokens, and the function every tenant transaction starts with.

CREATE TABLE api_keys (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    key_id       uuid        NOT NULL,
    prefix       text        NOT NULL,
    key_hash     text        NOT NULL,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    scopes       text[]      NOT NULL,
    created_by   uuid        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, key_id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES members (tenant_id, member_id) ON DELETE CASCADE
);
CREATE INDEX api_keys_created_by ON api_keys (tenant_id, created_by);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys TO chorus_app;

-- Directory: visible key prefix -> tenant and key, unique across the platform.
CREATE TABLE api_key_prefixes (
    prefix    text NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL,
    key_id    uuid NOT NULL,
    UNIQUE (tenant_id, key_id),
    FOREIGN KEY (tenant_id, key_id) REFERENCES api_keys (tenant_id, key_id) ON DELETE CASCADE
);
ALTER TABLE api_key_prefixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_key_prefixes FORCE ROW LEVEL SECURITY;
CREATE POLICY directory_owner ON api_key_prefixes TO chorus_owner USING (true) WITH CHECK (true);

CREATE FUNCTION api_key_prefixes_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = chorus, pg_temp
    AS $$
BEGIN
    INSERT INTO api_key_prefixes (prefix, tenant_id, key_id) VALUES (NEW.prefix, NEW.tenant_id, NEW.key_id);
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION api_key_prefixes_sync() FROM PUBLIC;
CREATE TRIGGER api_keys_prefix_directory AFTER INSERT ON api_keys
    FOR EACH ROW EXECUTE FUNCTION api_key_prefixes_sync();

-- An API key arrives before its tenant is known: its visible prefix names the tenant and key, nothing more.
CREATE FUNCTION api_key_by_prefix(p_prefix text) RETURNS TABLE (tenant_id uuid, key_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = chorus, pg_temp
    AS $$ SELECT d.tenant_id, d.key_id FROM api_key_prefixes d WHERE d.prefix = p_prefix $$;
REVOKE ALL ON FUNCTION api_key_by_prefix(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_key_by_prefix(text) TO chorus_app;

CREATE TABLE refresh_tokens (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    token_id    uuid        NOT NULL,
    family_id   uuid        NOT NULL,
    member_id   uuid        NOT NULL,
    token_hash  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, token_id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, member_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (tenant_id, token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_member ON refresh_tokens (tenant_id, member_id);
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO chorus_app;

-- Every tenant transaction starts here: set the tenant for this transaction only, and in the same round trip
-- read what the caller's credential still grants now: the tenant's status, the member's current role (for an
-- API key, its creator's), and the key's scopes and hash. Runs as the caller, so RLS applies to every row read.
CREATE FUNCTION enter_tenant(p_tenant uuid, p_member uuid, p_api_key uuid)
    RETURNS TABLE (tenant_status text, member_id uuid, member_role text, api_key_scopes text[],
                   api_key_hash text, api_key_last_used timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = chorus, pg_temp
    AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
        SELECT t.status, m.member_id, m.role, k.scopes, k.key_hash, k.last_used_at
          FROM tenants t
          LEFT JOIN api_keys k
            ON k.tenant_id = t.tenant_id AND k.key_id = p_api_key AND k.revoked_at IS NULL
           AND (k.expires_at IS NULL OR k.expires_at > now())
          LEFT JOIN members m
            ON m.tenant_id = t.tenant_id AND m.member_id = coalesce(p_member, k.created_by) AND m.status = 'active'
         WHERE t.tenant_id = p_tenant;
END $$;
REVOKE ALL ON FUNCTION enter_tenant(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enter_tenant(uuid, uuid, uuid) TO chorus_app;
