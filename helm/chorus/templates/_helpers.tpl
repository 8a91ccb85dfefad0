{{/*
Name of the chart, or nameOverride.
*/}}
{{- define "chorus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: fullnameOverride, or "<release>-<name>" (just the release name when it
already contains the chart name). At most 63 characters.
*/}}
{{- define "chorus.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "chorus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels common to every object.
*/}}
{{- define "chorus.labels" -}}
helm.sh/chart: {{ include "chorus.chart" . }}
{{ include "chorus.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: chorus
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that identify the release.
*/}}
{{- define "chorus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chorus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels that pick the server pods (and not the migration Job's). The Deployment's selector is immutable:
do not change these.
*/}}
{{- define "chorus.serverSelectorLabels" -}}
{{ include "chorus.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/*
The ServiceAccount of the server pods.
*/}}
{{- define "chorus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "chorus.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository@digest, or repository:tag (tag defaults to the appVersion).
*/}}
{{- define "chorus.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/*
The Secret mounted as CHORUS_SECRETS_DIR: the chart's own when secrets.create, else secrets.existingSecret,
else one named after the release.
*/}}
{{- define "chorus.secretName" -}}
{{- if .Values.secrets.create }}
{{- include "chorus.fullname" . }}
{{- else }}
{{- default (include "chorus.fullname" .) .Values.secrets.existingSecret }}
{{- end }}
{{- end }}

{{/*
The Secret that holds the database URLs.
*/}}
{{- define "chorus.databaseSecretName" -}}
{{- default (include "chorus.secretName" .) .Values.database.existingSecret }}
{{- end }}

{{/*
The Secret that holds the Redis URL.
*/}}
{{- define "chorus.redisSecretName" -}}
{{- default (include "chorus.secretName" .) .Values.redis.existingSecret }}
{{- end }}

{{/*
The JWT key ids mounted as jwt/<kid>.pem, as a JSON list: the keys of secrets.jwtKeys when the chart writes
the Secret, else secrets.jwtKeyIDs. An empty list means the whole Secret is mounted as CHORUS_JWT_KEYS_DIR.
*/}}
{{/*
The master key versions mounted as master-keys/v<N>.key from Secret keys master-key-v<N>, as a JSON list: the
keys of secrets.masterKeys when the chart writes the Secret, else secrets.masterKeyVersions.
*/}}
{{- define "chorus.masterKeyVersions" -}}
{{- if .Values.secrets.create }}
{{- keys .Values.secrets.masterKeys | sortAlpha | toJson }}
{{- else }}
{{- .Values.secrets.masterKeyVersions | default (list 1) | toJson }}
{{- end }}
{{- end }}

{{- define "chorus.jwtKeyIDs" -}}
{{- if .Values.secrets.create }}
{{- keys .Values.secrets.jwtKeys | sortAlpha | toJson }}
{{- else }}
{{- .Values.secrets.jwtKeyIDs | default list | toJson }}
{{- end }}
{{- end }}

{{/*
Pod-level scheduling and security settings shared by the server and the migration Job.
*/}}
{{- define "chorus.podPlacement" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Fails the render with a clear message when the values cannot work. Renders nothing otherwise.
*/}}
{{- define "chorus.validate" -}}
{{- $ttl := int64 .Values.config.jwt.accessTTL }}
{{- if or (lt $ttl 1) (gt $ttl 900) }}
{{- fail (printf "config.jwt.accessTTL must be between 1 and 900 seconds (got %d)" $ttl) }}
{{- end }}
{{- if not (has (toString .Values.config.logLevel) (list "trace" "debug" "info" "notice" "warning" "error" "critical")) }}
{{- fail (printf "config.logLevel must be one of trace, debug, info, notice, warning, error, critical (got %v)" .Values.config.logLevel) }}
{{- end }}
{{- if not (has (toString .Values.config.logFormat) (list "json" "text")) }}
{{- fail (printf "config.logFormat must be json or text (got %v)" .Values.config.logFormat) }}
{{- end }}
{{- if .Values.secrets.create }}
{{- if not .Values.secrets.operatorToken }}
{{- fail "secrets.create is true: set secrets.operatorToken" }}
{{- end }}
{{- if lt (len (toString .Values.secrets.apiKeyPepper)) 43 }}
{{- fail "secrets.create is true: set secrets.apiKeyPepper to base64url of at least 32 random bytes (43 characters or more)" }}
{{- end }}
{{- if lt (len (toString .Values.secrets.auditSigningKey)) 43 }}
{{- fail "secrets.create is true: set secrets.auditSigningKey to a raw Ed25519 private key in base64url (chorus secrets init writes one)" }}
{{- end }}
{{- if not .Values.secrets.masterKeys }}
{{- fail "secrets.create is true: set secrets.masterKeys to at least one version -> base64url of 32 random bytes (chorus secrets init writes master-keys/v1.key)" }}
{{- end }}
{{- if not .Values.secrets.jwtKeys }}
{{- fail "secrets.create is true: set secrets.jwtKeys to at least one kid -> P-256 private key in PEM" }}
{{- end }}
{{- if and .Values.config.jwt.signingKid (not (hasKey .Values.secrets.jwtKeys (toString .Values.config.jwt.signingKid))) }}
{{- fail (printf "config.jwt.signingKid %v is not a key of secrets.jwtKeys" .Values.config.jwt.signingKid) }}
{{- end }}
{{- if not .Values.database.existingSecret }}
{{- if not (regexMatch "^postgres(ql)?://" (toString .Values.database.url)) }}
{{- fail "secrets.create is true: set database.url to postgres://chorus_app:PASSWORD@HOST:5432/DATABASE (or database.existingSecret)" }}
{{- end }}
{{- if and .Values.migration.enabled (not (regexMatch "^postgres(ql)?://" (toString .Values.database.migrationUrl))) }}
{{- fail "secrets.create is true: set database.migrationUrl to postgres://OPERATOR:PASSWORD@HOST:5432/DATABASE (or database.existingSecret)" }}
{{- end }}
{{- end }}
{{- if and (not .Values.redis.existingSecret) (not (hasPrefix "redis://" (toString .Values.redis.url))) }}
{{- fail "secrets.create is true: set redis.url to redis://[:PASSWORD@]HOST:6379/0 (or redis.existingSecret)" }}
{{- end }}
{{- else if and .Values.config.jwt.signingKid .Values.secrets.jwtKeyIDs (not (has (toString .Values.config.jwt.signingKid) .Values.secrets.jwtKeyIDs)) }}
{{- fail (printf "config.jwt.signingKid %v is not in secrets.jwtKeyIDs" .Values.config.jwt.signingKid) }}
{{- end }}
{{- end }}
