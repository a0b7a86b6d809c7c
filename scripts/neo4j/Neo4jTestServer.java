/*
 * Neo4j 5.26 LTS (community) test server for chainrisk: an embedded DBMS with Bolt on
 * 127.0.0.1, auth on, a small fixed page cache and logs in the data folder.
 *
 *   java -cp '<cache>/classes:<cache>/lib/*' Neo4jTestServer DATA_DIR [PORT] [--no-stdin]
 *
 * PORT 0 (the default) lets the kernel choose a free port; the port actually bound is
 * read back from Neo4j's connector port register, so there is no race between choosing
 * and binding. The password of the "neo4j" user comes from the environment variable
 * NEO4J_PASSWORD (never from the command line, never printed).
 *
 * When the database is up, exactly one line goes to stdout:
 *
 *   NEO4J READY bolt://127.0.0.1:<port>
 *
 * Everything else (progress, errors) goes to stderr; anything a library prints on stdout
 * afterwards is sent to stderr too, so stdout carries the ready line only. The server
 * then runs until stdin reaches end of file (unless --no-stdin is given) or the process
 * gets SIGTERM/SIGINT, and shuts the DBMS down cleanly either way. Exit codes: 0 after a
 * clean stop, 2 for bad usage, 1 when the DBMS could not start.
 *
 * Launched by scripts/neo4j-test-server and tests/neo4j_server.py.
 */

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.kernel.impl.security.User;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.NullLogProvider;
import org.neo4j.memory.EmptyMemoryTracker;
import org.neo4j.server.security.SecureHasher;
import org.neo4j.server.security.SystemGraphCredential;
import org.neo4j.server.security.auth.CommunitySecurityModule;
import org.neo4j.server.security.auth.FileUserRepository;
import org.neo4j.string.UTF8;

public final class Neo4jTestServer {
    static final String HOST = "127.0.0.1";
    static final String PASSWORD_ENV = "NEO4J_PASSWORD";
    static final String USER = "neo4j";

    private static final AtomicBoolean stopped = new AtomicBoolean(false);
    private static volatile DatabaseManagementService dbms;

    public static void main(String[] args) {
        PrintStream ready = System.out;
        // Keep stdout for the ready line alone.
        System.setOut(System.err);

        Path dataDir = null;
        int port = 0;
        boolean watchStdin = true;
        int positional = 0;
        for (String arg : args) {
            if (arg.equals("--no-stdin")) {
                watchStdin = false;
            } else if (arg.equals("-h") || arg.equals("--help")) {
                usage(null);
                System.exit(0);
            } else if (arg.startsWith("-")) {
                usage("unknown option " + arg);
                System.exit(2);
            } else if (positional == 0) {
                dataDir = Path.of(arg).toAbsolutePath().normalize();
                positional++;
            } else if (positional == 1) {
                try {
                    port = Integer.parseInt(arg);
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port < 0 || port > 65535) {
                    usage("PORT must be 0..65535, got " + arg);
                    System.exit(2);
                }
                positional++;
            } else {
                usage("too many arguments");
                System.exit(2);
            }
        }
        if (dataDir == null) {
            usage("DATA_DIR is required");
            System.exit(2);
        }
        String password = System.getenv(PASSWORD_ENV);
        if (password == null || password.isEmpty()) {
            log("error: environment variable " + PASSWORD_ENV + " is not set (the password is never taken from the command line)");
            System.exit(2);
        }

        Runtime.getRuntime().addShutdownHook(new Thread(Neo4jTestServer::stop, "neo4j-test-server-shutdown"));

        String uri;
        try {
            Files.createDirectories(dataDir);
            long t0 = System.nanoTime();
            log("starting Neo4j " + neo4jVersion() + " in " + dataDir + " (bolt " + HOST + ":" + (port == 0 ? "auto" : port) + ")");
            Path initialAuth = writeInitialPasswordIfNew(dataDir, password);
            dbms = build(dataDir, port);
            if (initialAuth != null) {
                // read once, when the system database was created; no hash left lying around
                Files.deleteIfExists(initialAuth);
            } else {
                long t1 = System.nanoTime();
                setPassword(dbms, password);
                log(String.format("password of the existing user %s set in %.1f s", USER, (System.nanoTime() - t1) / 1e9));
            }
            int boundPort = boltPort(dbms);
            uri = "bolt://" + HOST + ":" + boundPort;
            log(String.format("started in %.1f s, listening on %s", (System.nanoTime() - t0) / 1e9, uri));
        } catch (Throwable e) {
            log("error: Neo4j did not start: " + e);
            e.printStackTrace(System.err);
            stop();
            // halt: the shutdown hook has nothing left to do and must not block
            System.err.flush();
            Runtime.getRuntime().halt(1);
            return;
        }

        ready.println("NEO4J READY " + uri);
        ready.flush();

        if (watchStdin) {
            waitForEndOfStdin();
            log("stdin closed, stopping");
            stop();
            System.exit(0);
        } else {
            // Runs until SIGTERM/SIGINT: the shutdown hook stops the DBMS.
            try {
                Thread.currentThread().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static DatabaseManagementService build(Path home, int port) {
        Path logs = home.resolve("logs");
        Map<org.neo4j.graphdb.config.Setting<?>, Object> settings = Map.ofEntries(
                // Bolt on loopback only, plain (no TLS), chosen or auto port
                Map.entry(BoltConnector.enabled, true),
                Map.entry(BoltConnector.listen_address, new SocketAddress(HOST, port)),
                Map.entry(BoltConnector.advertised_address, new SocketAddress(HOST, port)),
                Map.entry(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED),
                Map.entry(BoltConnector.thread_pool_min_size, 1),
                Map.entry(BoltConnector.thread_pool_max_size, 32),
                Map.entry(BoltConnectorInternalSettings.enable_local_connector, false),
                // stop in well under a second instead of ~10 s (two 5 s grace periods and netty quiet
                // periods by default)
                Map.entry(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1)),
                Map.entry(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1)),
                Map.entry(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0),
                // auth on; never lock the test user out after wrong-password tests
                Map.entry(GraphDatabaseSettings.auth_enabled, true),
                Map.entry(GraphDatabaseSettings.auth_max_failed_attempts, 0),
                Map.entry(GraphDatabaseSettings.auth_minimum_password_length, 1),
                // small and fixed memory
                Map.entry(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64)),
                Map.entry(GraphDatabaseSettings.pagecache_warmup_enabled, false),
                // small disk footprint, fewer background threads
                Map.entry(GraphDatabaseSettings.preallocate_logical_logs, false),
                Map.entry(GraphDatabaseSettings.preallocate_store_files, false),
                Map.entry(GraphDatabaseSettings.keep_logical_logs, "1 files"),
                Map.entry(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(16)),
                Map.entry(GraphDatabaseSettings.filewatcher_enabled, false),
                Map.entry(GraphDatabaseSettings.udc_enabled, false),
                Map.entry(GraphDatabaseInternalSettings.udc_network_enabled, false),
                Map.entry(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5)),
                // logs in the data folder
                Map.entry(GraphDatabaseSettings.logs_directory, logs),
                Map.entry(GraphDatabaseSettings.debug_log_enabled, true));
        return new DatabaseManagementServiceBuilder(home).setConfig(settings).build();
    }

    /**
     * For a data folder whose system database does not exist yet, writes the initial
     * password of the "neo4j" user the way {@code neo4j-admin dbms set-initial-password}
     * does (an auth.ini the DBMS reads once, when it creates the system database), with no
     * forced change at first login, and returns that file. Returns null when the system
     * database already exists: then {@link #setPassword} sets it on the running DBMS.
     */
    static Path writeInitialPasswordIfNew(Path home, String password) throws Exception {
        Config config = Config.newBuilder().set(GraphDatabaseSettings.neo4j_home, home).build();
        Path systemStore = config.get(GraphDatabaseSettings.data_directory)
                .resolve("databases").resolve(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        Path authFile = CommunitySecurityModule.getInitialUserRepositoryFile(config);
        if (Files.exists(systemStore)) {
            Files.deleteIfExists(authFile); // left by an interrupted first start; never read again
            return null;
        }
        try (DefaultFileSystemAbstraction fs = new DefaultFileSystemAbstraction()) {
            fs.mkdirs(authFile.getParent());
            fs.deleteFile(authFile);
            FileUserRepository users = new FileUserRepository(
                    fs, authFile, NullLogProvider.getInstance(), EmptyMemoryTracker.INSTANCE);
            users.start();
            users.create(new User(USER, null,
                    SystemGraphCredential.createCredentialForPassword(UTF8.encode(password), new SecureHasher()),
                    false, false));
            users.shutdown();
        }
        return authFile;
    }

    /** Sets the password of the built-in "neo4j" user, without a forced change at first login. */
    static void setPassword(DatabaseManagementService service, String password) {
        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (RuntimeException e) {
            // A reused data folder may already have this password; Neo4j refuses to "change" it.
            String message = String.valueOf(e.getMessage());
            if (!message.contains("Old password and new password cannot be the same")) {
                throw new IllegalStateException("could not set the password of user " + USER + ": " + message, e);
            }
            system.executeTransactionally("ALTER USER " + USER + " SET PASSWORD CHANGE NOT REQUIRED");
        }
    }

    static int boltPort(DatabaseManagementService service) {
        GraphDatabaseAPI db = (GraphDatabaseAPI) service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        HostnamePort address = db.getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        if (address == null) {
            throw new IllegalStateException("the Bolt connector is not listening");
        }
        return address.getPort();
    }

    static void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        DatabaseManagementService service = dbms;
        if (service == null) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            service.shutdown();
            log(String.format("stopped cleanly in %.1f s", (System.nanoTime() - t0) / 1e9));
        } catch (Throwable e) {
            log("error while stopping: " + e);
        }
        System.err.flush();
    }

    static void waitForEndOfStdin() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // input is ignored; only its end matters
            }
        } catch (IOException e) {
            log("stdin unreadable (" + e.getMessage() + "), stopping");
        }
    }

    static String neo4jVersion() {
        Package p = DatabaseManagementService.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "(unknown version)" : v;
    }

    static void log(String message) {
        System.err.println("[neo4j-test-server] " + message);
        System.err.flush();
    }

    static void usage(String error) {
        if (error != null) {
            log("error: " + error);
        }
        System.err.println("usage: java -cp '<classes>:<lib>/*' Neo4jTestServer DATA_DIR [PORT] [--no-stdin]");
        System.err.println("  PORT 0 or omitted: a free port is chosen. Password: $" + PASSWORD_ENV + ".");
    }
}
