-- Each tenant's language-model set-up: provider accounts (keys sealed through the secret vault), routes, price
-- overrides, budgets, limits and fallback text, versioned prompts; and what calls cost: usage records, monthly
-- spending per route, and budget events.

CREATE TABLE llm_providers (
    tenant_id           uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name                text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    kind                text        NOT NULL CHECK (kind IN ('openai', 'azure-openai', 'openai-compatible', 'mistral',
                                                             'anthropic', 'gemini', 'ollama')),
    base_url            text        NOT NULL CHECK (length(base_url) BETWEEN 1 AND 2048),
    api_version         text        CHECK (length(api_version) BETWEEN 1 AND 64),
    -- SecretEnvelope text; never returned through the API.
    sealed_key          text,
    key_last4           text,
    requests_per_minute integer     CHECK (requests_per_minute > 0),
    tokens_per_minute   integer     CHECK (tokens_per_minute > 0),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE llm_providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_providers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_providers
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON llm_providers TO chorus_app;

CREATE TABLE llm_routes (
    tenant_id  uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name       text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    -- The route document as validated (see docs/models.md).
    definition jsonb       NOT NULL,
    -- Counts saves, for ETags.
    revision   integer     NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE llm_routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_routes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_routes
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON llm_routes TO chorus_app;

-- The tenant's prices, over the built-in table; micro-dollars per million tokens.
CREATE TABLE llm_prices (
    tenant_id    uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    provider     text        NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
    model        text        NOT NULL CHECK (length(model) BETWEEN 1 AND 256),
    input        bigint      NOT NULL CHECK (input >= 0),
    output       bigint      NOT NULL CHECK (output >= 0),
    cached_input bigint      CHECK (cached_input >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, provider, model)
);
ALTER TABLE llm_prices ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_prices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_prices
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON llm_prices TO chorus_app;

-- Monthly budgets in micro-dollars: scope '*' is the whole tenant, any other scope names a route.
CREATE TABLE llm_budgets (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    scope       text        NOT NULL CHECK (length(scope) BETWEEN 1 AND 64),
    soft_limit  bigint      CHECK (soft_limit >= 0),
    hard_limit  bigint      CHECK (hard_limit >= 0),
    hard_action text        NOT NULL DEFAULT 'reject' CHECK (hard_action IN ('reject', 'downgrade')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, scope)
);
ALTER TABLE llm_budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_budgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_budgets
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON llm_budgets TO chorus_app;

-- Tenant-wide model settings: the local provider's fallback text and the tenant's own call limits.
CREATE TABLE llm_settings (
    tenant_id           uuid        PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    fallback_text       text        CHECK (length(fallback_text) BETWEEN 1 AND 4000),
    requests_per_minute integer     CHECK (requests_per_minute > 0),
    tokens_per_minute   integer     CHECK (tokens_per_minute > 0),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE llm_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_settings
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON llm_settings TO chorus_app;

-- One row per model call, written in batches off the request path.
CREATE TABLE llm_usage (
    tenant_id        uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    id               bigint      GENERATED BY DEFAULT AS IDENTITY,
    at               timestamptz NOT NULL,
    route            text        NOT NULL,
    target           text,
    provider         text,
    model            text,
    input_tokens     integer     NOT NULL CHECK (input_tokens >= 0),
    output_tokens    integer     NOT NULL CHECK (output_tokens >= 0),
    cached_tokens    integer     NOT NULL CHECK (cached_tokens >= 0),
    reasoning_tokens integer     NOT NULL CHECK (reasoning_tokens >= 0),
    cost_micros      bigint      NOT NULL CHECK (cost_micros >= 0),
    latency_ms       double precision NOT NULL CHECK (latency_ms >= 0),
    outcome          text        NOT NULL,
    cache_hit        boolean     NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX llm_usage_time ON llm_usage (tenant_id, at);
ALTER TABLE llm_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_usage
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
-- Append-only for the server.
GRANT SELECT, INSERT ON llm_usage TO chorus_app;

-- Spending per route and month (UTC), kept with the usage rows so that budgets read a few rows, not a month of
-- calls.
CREATE TABLE llm_spend (
    tenant_id   uuid   NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    month       date   NOT NULL CHECK (extract(day FROM month) = 1),
    route       text   NOT NULL,
    cost_micros bigint NOT NULL DEFAULT 0,
    calls       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month, route)
);
ALTER TABLE llm_spend ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_spend FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_spend
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON llm_spend TO chorus_app;

-- Budget limits crossed: at most one of each kind per scope and month.
CREATE TABLE llm_budget_events (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    month       date        NOT NULL,
    scope       text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('soft_limit_reached', 'hard_limit_reached')),
    spent       bigint      NOT NULL,
    limit_micros bigint     NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, month, scope, kind)
);
ALTER TABLE llm_budget_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_budget_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON llm_budget_events
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT ON llm_budget_events TO chorus_app;

-- Prompt templates, one row per version; versions never change once written.
CREATE TABLE prompts (
    tenant_id   uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name        text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    version     integer     NOT NULL CHECK (version > 0),
    template    jsonb       NOT NULL,
    message     text        NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    author      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name, version)
);
ALTER TABLE prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE prompts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON prompts
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT ON prompts TO chorus_app;
