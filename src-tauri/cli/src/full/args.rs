//! The command line: every command, its arguments and flags (clap).

use clap::{Args, Parser, Subcommand};
use tokentray_cli::parse_duration;

#[derive(Parser)]
#[command(
    name = "tokentray",
    bin_name = "tokentray",
    version,
    about = "Fresh tokens for scripts, from Tokentray"
)]
pub struct Cli {
    /// Run the engine in this process for this one command instead of asking the running
    /// app or daemon (refused while one of them holds the data directory).
    #[arg(long, global = true)]
    pub standalone: bool,
    /// How long to wait for the engine's answer before giving up with
    /// error[engine_not_responding] (exit 7): `30s`, `2m`; `0` waits as long as it takes.
    #[arg(long, global = true, env = "TOKENTRAY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print a valid access token for an account, and nothing else.
    Token {
        /// The account's name.
        name: String,
        /// Print `Authorization: Bearer <token>` instead of the bare token.
        #[arg(long)]
        header: bool,
        /// Refresh first unless the token stays valid this long: `60s`, `5m`, `1h`, or seconds.
        #[arg(long, value_parser = parse_duration, default_value = "0")]
        min_valid: u64,
        /// For a DPoP-bound token (dpop = true): print `Authorization: DPoP <token>` and a
        /// fresh `DPoP: <proof>` for this one request, made by the engine (the key never
        /// leaves it).
        #[arg(long, num_args = 2, value_names = ["METHOD", "URL"], conflicts_with_all = ["header", "min_valid", "id_token"])]
        dpop: Option<Vec<String>>,
        /// The account's OpenID Connect ID token (a JWT about the signed-in user, what
        /// Kubernetes OIDC checks) instead of its access token.
        #[arg(long, conflicts_with_all = ["scope", "audience", "resource"])]
        id_token: bool,
        #[command(flatten)]
        narrow: NarrowArgs,
    },
    /// Run a command with the account's token in an environment variable (never on argv).
    Exec {
        name: String,
        /// The variable that carries the token.
        #[arg(long, default_value = "TOKEN")]
        env: String,
        #[command(flatten)]
        narrow: NarrowArgs,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// List the accounts with their status and expiry.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One account's status.
    Status {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Refresh an account now (or every account).
    Refresh {
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// An account's refresh history, newest first.
    History {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show the header and claims of an account's token when it is a JWT (never verified).
    Decode {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Sign in to an `authorization_code` account (in the browser) or a `device_code` account
    /// (a code to enter on any device).
    Login { name: String },
    /// Remove an account, revoking its tokens first when it names a revocation endpoint.
    Remove { name: String },
    /// Add or replace accounts from a TOML file of `[[account]]` tables; all or nothing. A
    /// file whose settings run programs, or read this machine's files or environment, is
    /// refused (naming them) unless you allow them.
    Import {
        file: std::path::PathBuf,
        /// Take settings that run programs (command, renew_command, on_event, on_refresh).
        #[arg(long)]
        allow_commands: bool,
        /// Take settings that read this machine's files or environment (`*_file`, `*_env`).
        #[arg(long)]
        allow_local: bool,
    },
    /// Lock: nothing is lent (tokens, helpers, copies) until you unlock; refreshing goes on.
    Lock,
    /// Unlock, with the vault's passphrase (asked for, or TOKENTRAY_PASSPHRASE /
    /// TOKENTRAY_PASSPHRASE_FILE); with a key in the keyring, the desktop asks you to confirm.
    Unlock,
    /// The first uses waiting for you (programs asking for an account with confirm = true).
    Approvals {
        #[arg(long)]
        json: bool,
    },
    /// Allow a waiting first use, once (or for 8 hours), with the vault's passphrase.
    Approve {
        /// Its id (`tokentray approvals`, or the approval_needed event).
        id: u64,
        /// Allow this program this account for 8 hours, not just this once.
        #[arg(long)]
        for_8_hours: bool,
    },
    /// Deny a waiting first use.
    Deny { id: u64 },
    /// Every lend of a token and every refusal, newest first: which program, how, and what
    /// came of it (never the token).
    Audit {
        /// Only this account's.
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Print the accounts as TOML (the same format import reads), without secrets unless asked.
    Export {
        #[arg(long)]
        with_secrets: bool,
    },
    /// Print the engine's events as they happen (refreshes, failures, expiry warnings), one a
    /// line, until interrupted: what a desktop would notify, for a server.
    Events {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// The public half of an account's signing key (private_key_jwt), to register at the
    /// server: the JWK, the JWKS, its thumbprint and a self-signed certificate. The private
    /// key never leaves Tokentray.
    Key {
        name: String,
        /// Only the JWK.
        #[arg(long, conflicts_with_all = ["jwks", "cert"])]
        jwk: bool,
        /// Only the JWK Set (`{"keys": [...]}`).
        #[arg(long, conflicts_with = "cert")]
        jwks: bool,
        /// Only the certificate (PEM), e.g. for Entra ID.
        #[arg(long)]
        cert: bool,
    },
    /// kubectl's exec credential plugin: print an ExecCredential with the account's token
    /// (set up with `tokentray kubeconfig`).
    KubectlCredential { name: String },
    /// Print a kubeconfig whose user runs `tokentray kubectl-credential NAME`: with --server,
    /// a whole one (cluster, context, user) to use or merge; else the `users:` entry to paste.
    Kubeconfig {
        name: String,
        /// The API server, `https://…`.
        #[arg(long)]
        server: Option<String>,
        /// The PEM file of the authority that signed the API server's certificate.
        #[arg(long, requires = "server")]
        ca: Option<std::path::PathBuf>,
    },
    /// A git credential helper: `git config --global credential.https://github.com.helper
    /// '!tokentray git-credential'`. The account whose git_hosts match answers.
    GitCredential {
        /// What git asks: get, store or erase.
        action: String,
    },
    /// A Docker credential helper (installed as docker-credential-tokentray): get, list,
    /// store, erase. The account whose registry_hosts match answers.
    DockerCredential { action: String },
    /// Print lines that set each account's variable to its token, for `eval "$(tokentray env
    /// NAME)"`: env_name, else TOKENTRAY_<NAME>.
    Env {
        #[arg(required = true)]
        names: Vec<String>,
        /// The shell to write for (default: fish when $SHELL is fish, else bash/zsh syntax).
        #[arg(long, value_parser = ["bash", "zsh", "sh", "fish"])]
        shell: Option<String>,
        #[command(flatten)]
        narrow: NarrowArgs,
    },
    /// AWS credentials from the account's OIDC login (AssumeRoleWithWebIdentity), as the AWS
    /// CLI's credential_process wants them: `credential_process = tokentray aws-credential
    /// NAME` in ~/.aws/config. Reused until five minutes before they end.
    AwsCredential {
        name: String,
        /// The role to assume (else the account's aws_role_arn).
        #[arg(long)]
        role_arn: Option<String>,
        /// STS's endpoint (else the account's aws_sts_url, else https://sts.amazonaws.com/).
        #[arg(long)]
        sts_url: Option<String>,
        /// How long the credentials last: 15m to 12h (the role may allow less).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<u64>,
        /// The role session's name (else tokentray-NAME).
        #[arg(long)]
        session_name: Option<String>,
    },
    /// Run the engine in the foreground, with no window: for servers and CI. Logs go to
    /// stderr; SIGTERM or Ctrl+C stops it cleanly.
    Daemon,
    /// A local reverse proxy that adds the account's token to every request and sends it on;
    /// on a 401 it has the token renewed (if it is still the current one) and sends the
    /// request once more. Listens on this machine only; SIGTERM or Ctrl+C stops it.
    Proxy {
        name: String,
        /// Where to listen: 127.0.0.1:PORT or [::1]:PORT (port 0: any free one, said on stderr).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
        /// Where requests go: https://api.example.com (http only to this machine).
        #[arg(long)]
        upstream: String,
    },
    /// Team mode: several engines share one PostgreSQL (init, join, status).
    Team {
        #[command(subcommand)]
        action: crate::team::Team,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

/// A token narrower than the account's own, for this call alone: obtained with the account's
/// refresh token (fewer scopes), a new request of its grant, or a token exchange; kept until
/// it is due; the account's own token stays as it is.
#[derive(Args, Debug, Clone, Default)]
pub struct NarrowArgs {
    /// Only these scopes (space-separated), fewer than the account's.
    #[arg(long)]
    pub scope: Option<String>,
    /// The API the token is for (an `audience` parameter, as Auth0 and RFC 8693 name it).
    #[arg(long)]
    pub audience: Option<String>,
    /// The resource the token is for (RFC 8707): an absolute URI.
    #[arg(long)]
    pub resource: Option<String>,
}

impl From<NarrowArgs> for tokentray_core::narrow::Narrower {
    fn from(a: NarrowArgs) -> Self {
        tokentray_core::narrow::Narrower {
            scope: a.scope,
            audience: a.audience,
            resource: a.resource,
        }
    }
}
