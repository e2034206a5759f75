// A single OpenSearch node for local development, run from the Maven Central jars.
//
//   java -cp 'classes:jars/*' LocalNode <path.home>
//
// Reads <path.home>/config/opensearch.yml and log4j2.properties (written by
// include/local/servers/opensearch.py) and starts a node with the plugins that the
// distribution ships as modules and that the project uses: the Netty4 HTTP/transport layer,
// mapper-extras (scaled_float), analysis-common (normalizers, common analyzers) and reindex
// (update/delete by query). Bootstrap checks are the production-readiness checks of the
// packaged `opensearch` launcher; they are not run here (a loopback-only dev node).
// SIGTERM closes the node cleanly.

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public final class LocalNode extends Node {
    static final List<Class<? extends Plugin>> PLUGINS =
            List.of(Netty4Plugin.class, MapperExtrasPlugin.class, CommonAnalysisPlugin.class, ReindexPlugin.class);

    LocalNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(environment, plugins, true);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: LocalNode <path.home>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Settings input = Settings.builder().put("path.home", home.toString()).build();
        Environment environment =
                InternalSettingsPreparer.prepareEnvironment(input, Map.of(), home.resolve("config"), () -> "local");
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.configure(environment);

        LocalNode node = new LocalNode(environment, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "local-node-shutdown"));
        node.start();
        stopped.await();
    }
}
