-- Tenants and members, with row-level security.
--
-- Every tenant table has tenant_id leading its primary key and every index, RLS ENABLEd and FORCEd, and one
-- policy on the tenant set for the current transaction. Directory tables (tenant_slugs, and later
-- api_key_prefixes) answer lookups that happen before the tenant is known; the application role has no
-- privilege on them and reaches them only through narrow SECURITY DEFINER functions.

-- The tenant of the current transaction, or NULL when none (or the empty string) is set.
CREATE FUNCTION current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    tenant_id  uuid        NOT NULL,
    slug       text        NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan       text        NOT NULL DEFAULT 'standard',
    status     text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
-- The operator's tenant list is served by a SECURITY DEFINER function running as the owner; only it reads
-- across tenants.
CREATE POLICY operator_directory ON tenants FOR SELECT TO chorus_owner USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO chorus_app;

-- Directory: slug -> tenant, unique across the platform.
CREATE TABLE tenant_slugs (
    slug      text NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL UNIQUE REFERENCES tenants (tenant_id) ON DELETE CASCADE
);
ALTER TABLE tenant_slugs ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_slugs FORCE ROW LEVEL SECURITY;
CREATE POLICY directory_owner ON tenant_slugs TO chorus_owner USING (true) WITH CHECK (true);

CREATE FUNCTION tenant_slugs_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = chorus, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tenant_slugs (slug, tenant_id) VALUES (NEW.slug, NEW.tenant_id);
    ELSIF NEW.slug IS DISTINCT FROM OLD.slug THEN
        UPDATE tenant_slugs SET slug = NEW.slug WHERE tenant_id = NEW.tenant_id;
    END IF;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION tenant_slugs_sync() FROM PUBLIC;
CREATE TRIGGER tenants_slug_directory AFTER INSERT OR UPDATE OF slug ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenant_slugs_sync();

-- Login names a tenant by slug before the tenant is known.
CREATE FUNCTION tenant_by_slug(p_slug text) RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = chorus, pg_temp
    AS $$ SELECT s.tenant_id FROM tenant_slugs s WHERE s.slug = lower(p_slug) $$;
REVOKE ALL ON FUNCTION tenant_by_slug(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_by_slug(text) TO chorus_app;

-- The operator API lists every tenant; the caller's operator token is checked by the server first.
CREATE FUNCTION operator_list_tenants(p_after uuid, p_limit int)
    RETURNS TABLE (tenant_id uuid, slug text, name text, plan text, status text,
                   created_at timestamptz, updated_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = chorus, pg_temp
    AS $$
    SELECT t.tenant_id, t.slug, t.name, t.plan, t.status, t.created_at, t.updated_at
      FROM tenants t
     WHERE p_after IS NULL OR t.tenant_id > p_after
     ORDER BY t.tenant_id
     LIMIT least(greatest(p_limit, 1), 500)
$$;
REVOKE ALL ON FUNCTION operator_list_tenants(uuid, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION operator_list_tenants(uuid, int) TO chorus_app;

CREATE TABLE members (
    tenant_id         uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    member_id         uuid        NOT NULL,
    email             text        NOT NULL CHECK (email = lower(email)),
    display_name      text        NOT NULL DEFAULT '',
    role              text        NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'agent', 'viewer')),
    status            text        NOT NULL CHECK (status IN ('invited', 'active')),
    password_hash     text,
    invite_token_hash text,
    invite_expires_at timestamptz,
    invited_by        uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    last_login_at     timestamptz,
    PRIMARY KEY (tenant_id, member_id),
    CHECK (status <> 'active' OR password_hash IS NOT NULL)
);
CREATE UNIQUE INDEX members_email_key ON members (tenant_id, email);
CREATE UNIQUE INDEX members_invite_key ON members (tenant_id, invite_token_hash) WHERE invite_token_hash IS NOT NULL;
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON members
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON members TO chorus_app;
