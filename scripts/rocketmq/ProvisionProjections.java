import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.attribute.TopicMessageType;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.topic.TopicValidator;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Creates what partitioned projections consume, in one admin session (one JVM instead of one per mqadmin command):
 * per projection and partition p of P a FIFO topic {@code <topic>-<projection>-<p>of<P>} and an orderly group
 * {@code <groupPrefix>-projector-<projection>-<p>of<P>}, plus the NORMAL dead-letter topic {@code <topic>-DLQ}, on
 * every master of the cluster.
 *
 * <p>Idempotent: what exists is left as it is (only checked to be FIFO / orderly, since the proxy refuses FIFO sends
 * to a NORMAL topic and a non-orderly group would break each stream's order). A group whose topic or itself is new
 * gets its offset committed at 0 on every queue: a group's first pop on a queue that already holds messages may start
 * at the newest one (the broker's pop init-offset policy), which would skip what was published before the projector's
 * first receive. Existing pairs keep their offsets, so a rerun never replays a projection.
 *
 * <p>Usage (Java 17 single-file launch): {@code java -cp "$DIST/lib/*" ProvisionProjections.java <namesrv> <cluster>
 * <topic> <groupPrefix> <partitions> <projection>...}. Prints one line per created object and a summary on stdout;
 * exits 1 with the reason on stderr.
 */
public class ProvisionProjections {
    private static final int FIFO_QUEUES = 2;
    private static final int DEAD_LETTER_QUEUES = 1;
    private static final int RETRY_MAX_TIMES = 16;
    private static final long TIMEOUT_MS = 15_000;
    /** Offset commits are small synchronous requests: a few in flight hide the round trips. */
    private static final int PARALLEL_COMMITS = 8;
    private static final long REGISTRATION_WAIT_MS = 60_000;

    /** One partition of one projection: its topic and the one group that reads it. */
    private record Partition(String topic, String group) {}

    /** What one broker needed: counts for the summary. */
    private record Outcome(int topicsCreated, int groupsCreated, int groupsRewound, int queuesRewound) {}

    public static void main(String[] args) {
        if (args.length < 6) {
            fail("usage: ProvisionProjections <namesrv> <cluster> <topic> <groupPrefix> <partitions> <projection>...");
        }
        String namesrv = args[0], cluster = args[1], topic = args[2], groupPrefix = args[3];
        int partitions = parsePartitions(args[4]);
        List<Partition> wanted = new ArrayList<>();
        for (int i = 5; i < args.length; i++) {
            for (int p = 0; p < partitions; p++) {
                String suffix = args[i] + "-" + p + "of" + partitions;
                wanted.add(new Partition(topic + "-" + suffix, groupPrefix + "-projector-" + suffix));
            }
        }
        String deadLetterTopic = topic + "-DLQ";
        validate(wanted, deadLetterTopic);

        long started = System.nanoTime();
        DefaultMQAdminExt admin = new DefaultMQAdminExt(TIMEOUT_MS);
        admin.setNamesrvAddr(namesrv);
        // A name of its own, so a run beside another admin client never shares its client instance.
        admin.setInstanceName("provision-projections-" + ProcessHandle.current().pid());
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_COMMITS);
        String failure = null;
        try {
            admin.start();
            Map<String, String> masters = awaitMasters(admin, cluster, namesrv);
            int topicsCreated = 0, groupsCreated = 0, groupsRewound = 0, queuesRewound = 0;
            for (Map.Entry<String, String> master : masters.entrySet()) {
                Outcome o = provisionBroker(admin, pool, master.getKey(), master.getValue(), wanted, deadLetterTopic);
                topicsCreated += o.topicsCreated();
                groupsCreated += o.groupsCreated();
                groupsRewound += o.groupsRewound();
                queuesRewound += o.queuesRewound();
            }
            System.out.printf(
                "provision-projections: %d topics and %d groups on %d broker(s) of %s: %d topics created, %d groups created, "
                    + "%d groups set to offset 0 on %d queues, in %d ms%n",
                wanted.size() + 1, wanted.size(), masters.size(), cluster, topicsCreated, groupsCreated, groupsRewound,
                queuesRewound, (System.nanoTime() - started) / 1_000_000);
        } catch (Exception e) {
            failure = "failed: " + describe(e);
        } finally {
            pool.shutdownNow();
            admin.shutdown();
        }
        if (failure != null) fail(failure);
        // The client's remoting threads need not be waited for.
        System.exit(0);
    }

    /** Brings one master up to date: what is missing is created in one request per kind, then offsets are set. */
    private static Outcome provisionBroker(DefaultMQAdminExt admin, ExecutorService pool, String brokerName,
        String addr, List<Partition> wanted, String deadLetterTopic) throws Exception {
        Map<String, TopicConfig> topics = admin.getAllTopicConfig(addr, TIMEOUT_MS).getTopicConfigTable();
        Map<String, SubscriptionGroupConfig> groups =
            admin.getAllSubscriptionGroup(addr, TIMEOUT_MS).getSubscriptionGroupTable();

        List<TopicConfig> newTopics = new ArrayList<>();
        List<SubscriptionGroupConfig> newGroups = new ArrayList<>();
        List<Partition> rewind = new ArrayList<>();
        for (Partition partition : wanted) {
            TopicConfig existingTopic = topics.get(partition.topic());
            SubscriptionGroupConfig existingGroup = groups.get(partition.group());
            if (existingTopic == null) {
                newTopics.add(topicConfig(partition.topic(), FIFO_QUEUES, "FIFO"));
            } else if (existingTopic.getTopicMessageType() != TopicMessageType.FIFO) {
                throw new IllegalStateException("topic " + partition.topic() + " exists on " + brokerName + " as "
                    + existingTopic.getTopicMessageType() + ", not FIFO: delete it or fix it with mqadmin updateTopic");
            }
            if (existingGroup == null) {
                newGroups.add(orderlyGroup(partition.group()));
            } else if (!existingGroup.isConsumeMessageOrderly()) {
                throw new IllegalStateException("group " + partition.group() + " exists on " + brokerName
                    + " but is not orderly: fix it with mqadmin updateSubGroup -o true");
            }
            if (existingTopic == null || existingGroup == null) rewind.add(partition);
        }
        TopicConfig existingDeadLetters = topics.get(deadLetterTopic);
        if (existingDeadLetters == null) {
            newTopics.add(topicConfig(deadLetterTopic, DEAD_LETTER_QUEUES, null));
        } else if (existingDeadLetters.getTopicMessageType() != TopicMessageType.NORMAL) {
            throw new IllegalStateException("dead-letter topic " + deadLetterTopic + " exists on " + brokerName + " as "
                + existingDeadLetters.getTopicMessageType() + ", not NORMAL");
        }

        // Topics before groups before offsets: the broker refuses an offset for a group or topic it does not know.
        if (!newTopics.isEmpty()) {
            admin.createAndUpdateTopicConfigList(addr, newTopics);
            for (TopicConfig t : newTopics) {
                System.out.printf("created topic %s (%s, %d queues) on %s%n", t.getTopicName(),
                    t.getTopicMessageType(), t.getWriteQueueNums(), brokerName);
            }
        }
        if (!newGroups.isEmpty()) {
            admin.createAndUpdateSubscriptionGroupConfigList(addr, newGroups);
            for (SubscriptionGroupConfig g : newGroups) {
                System.out.printf("created group %s (orderly, %d retries) on %s%n", g.getGroupName(),
                    g.getRetryMaxTimes(), brokerName);
            }
        }

        List<Callable<Void>> commits = new ArrayList<>();
        for (Partition partition : rewind) {
            TopicConfig existing = topics.get(partition.topic());
            int queues = existing == null ? FIFO_QUEUES : existing.getReadQueueNums();
            for (int q = 0; q < queues; q++) {
                MessageQueue queue = new MessageQueue(partition.topic(), brokerName, q);
                commits.add(() -> {
                    admin.updateConsumeOffset(addr, partition.group(), queue, 0);
                    return null;
                });
            }
        }
        for (Future<Void> commit : pool.invokeAll(commits)) commit.get();
        for (Partition partition : rewind) {
            System.out.printf("set group %s to offset 0 on every queue of %s on %s%n", partition.group(),
                partition.topic(), brokerName);
        }
        return new Outcome(newTopics.size(), newGroups.size(), rewind.size(), commits.size());
    }

    /** A read-write topic like {@code mqadmin updateTopic -r n -w n [-a +message.type=<type>]} makes. */
    private static TopicConfig topicConfig(String name, int queues, String messageType) {
        TopicConfig config = new TopicConfig(name);
        config.setReadQueueNums(queues);
        config.setWriteQueueNums(queues);
        if (messageType != null) config.setAttributes(Map.of("+message.type", messageType));
        return config;
    }

    /** What {@code mqadmin updateSubGroup -o true -r 16} makes. */
    private static SubscriptionGroupConfig orderlyGroup(String name) {
        SubscriptionGroupConfig config = new SubscriptionGroupConfig();
        config.setGroupName(name);
        config.setConsumeBroadcastEnable(false);
        config.setConsumeFromMinEnable(false);
        config.setConsumeMessageOrderly(true);
        config.setRetryMaxTimes(RETRY_MAX_TIMES);
        return config;
    }

    /**
     * The cluster's masters, waiting up to {@code REGISTRATION_WAIT_MS} for the first one: a broker registers with the
     * name server a moment after its proxy starts listening, and `up` provisions right after that.
     */
    private static Map<String, String> awaitMasters(DefaultMQAdminExt admin, String cluster, String namesrv)
        throws Exception {
        long deadline = System.currentTimeMillis() + REGISTRATION_WAIT_MS;
        while (true) {
            try {
                return masters(admin.examineBrokerClusterInfo(), cluster, namesrv);
            } catch (IllegalStateException e) {
                if (System.currentTimeMillis() >= deadline) throw e;
                Thread.sleep(500);
            }
        }
    }

    /** Broker name to master address, for every broker of the cluster. */
    private static Map<String, String> masters(ClusterInfo info, String cluster, String namesrv) {
        var names = info.getClusterAddrTable().get(cluster);
        if (names == null || names.isEmpty()) {
            throw new IllegalStateException("no broker of cluster " + cluster + " is registered with " + namesrv);
        }
        Map<String, String> masters = new java.util.TreeMap<>();
        for (String name : names) {
            BrokerData broker = info.getBrokerAddrTable().get(name);
            String addr = broker == null ? null : broker.getBrokerAddrs().get(0L);
            if (addr == null) throw new IllegalStateException("broker " + name + " of " + cluster + " has no master");
            masters.put(name, addr);
        }
        return masters;
    }

    private static int parsePartitions(String value) {
        try {
            int partitions = Integer.parseInt(value);
            if (partitions >= 1 && partitions <= 1024) return partitions;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        fail("partitions must be a whole number from 1 to 1024, not " + value);
        return 0;
    }

    /** Names are checked here, so a bad one is named instead of failing a whole batch request. */
    private static void validate(List<Partition> wanted, String deadLetterTopic) {
        List<String> topics = new ArrayList<>(List.of(deadLetterTopic));
        for (Partition partition : wanted) {
            topics.add(partition.topic());
            if (TopicValidator.isTopicOrGroupIllegal(partition.group()) || partition.group().length() > 255) {
                fail("illegal group name " + partition.group() + " (letters, digits, -, _, % and |, at most 255)");
            }
        }
        for (String topic : topics) {
            TopicValidator.ValidateTopicResult result = TopicValidator.validateTopic(topic);
            if (!result.isValid()) fail("illegal topic name " + topic + ": " + result.getRemark());
        }
    }

    /** The innermost cause says what went wrong; the wrappers only say where. */
    private static String describe(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return cause == e ? message : e.getClass().getSimpleName() + ": " + message;
    }

    private static void fail(String message) {
        System.err.println("provision-projections: " + message);
        System.exit(1);
    }
}
