-- Rate limits: an API key may carry its own limit (at most its plan's), and entering a tenant also reads the
-- tenant's plan and the key's limit, so the server learns the limits that apply without another round trip.

ALTER TABLE api_keys
    ADD COLUMN rate_limit_requests integer CHECK (rate_limit_requests BETWEEN 1 AND 1000000),
    ADD COLUMN rate_limit_period   integer CHECK (rate_limit_period IN (1, 60, 3600)),
    ADD CONSTRAINT api_keys_rate_limit_complete
        CHECK ((rate_limit_requests IS NULL) = (rate_limit_period IS NULL));

DROP FUNCTION enter_tenant(uuid, uuid, uuid);

-- Every tenant transaction starts here: set the tenant for this transaction only, and in the same round trip
-- read what the caller's credential still grants now: the tenant's status and plan, the member's current role
-- (for an API key, its creator's), and the key's scopes, hash and rate limit. Runs as the caller, so RLS applies
-- to every row read.
CREATE FUNCTION enter_tenant(p_tenant uuid, p_member uuid, p_api_key uuid)
    RETURNS TABLE (tenant_status text, tenant_plan text, member_id uuid, member_role text, api_key_scopes text[],
                   api_key_hash text, api_key_last_used timestamptz, api_key_rate_limit integer,
                   api_key_rate_period integer)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = chorus, pg_temp
    AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
        SELECT t.status, t.plan, m.member_id, m.role, k.scopes, k.key_hash, k.last_used_at,
               k.rate_limit_requests, k.rate_limit_period
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
