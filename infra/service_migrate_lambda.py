"""Runs the Rails migrate task once and waits for it (rails-infra, migrateBeforeDeploy).

Invoked synchronously by the aws.lambda.Invocation resource during `pulumi up`. Raising an
exception makes the invocation, and so `pulumi up`, fail before the ECS service rolls.
Everything stack-specific (cluster, task definition, subnets, security group) comes in the
event, so this code never changes between stacks.
"""

import boto3

POLL_SECONDS = 10
# Time kept back from the Lambda timeout to describe the task and report.
MARGIN_MS = 30000

ecs = boto3.client("ecs")


def handler(event, context):
    cluster = event["cluster"]
    container = event["container"]
    started = ecs.run_task(
        cluster=cluster,
        taskDefinition=event["taskDefinition"],
        count=1,
        # Not FARGATE_SPOT: a migration must not be interrupted.
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        platformVersion="LATEST",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": event["subnets"],
                "securityGroups": event["securityGroups"],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={"containerOverrides": [{"name": container, "command": event["command"]}]},
        startedBy="rails-infra-migrate",
    )
    tasks = started.get("tasks") or []
    if started.get("failures") or not tasks:
        raise RuntimeError(
            "the migrate task did not start: %s. The service was not updated." % started.get("failures")
        )
    task_arn = tasks[0]["taskArn"]
    task_id = task_arn.rsplit("/", 1)[-1]
    logs = "log group %s, stream %s/%s/%s (aws logs tail %s --log-stream-names %s/%s/%s)" % (
        event["logGroup"], event["streamPrefix"], container, task_id,
        event["logGroup"], event["streamPrefix"], container, task_id,
    )

    attempts = max(1, (context.get_remaining_time_in_millis() - MARGIN_MS) // (POLL_SECONDS * 1000))
    try:
        ecs.get_waiter("tasks_stopped").wait(
            cluster=cluster, tasks=[task_arn],
            WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": attempts},
        )
    except Exception as err:
        # Not stopped: a half-run migration is worse than a finished one, so it keeps running.
        raise RuntimeError(
            "the migrate task %s did not stop within the Lambda timeout (%s); it is still running. "
            "The service was not updated. Watch it in the %s, then run pulumi up again." % (task_arn, err, logs)
        ) from err

    described = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])
    found = described.get("tasks") or []
    if not found:
        raise RuntimeError("the migrate task %s could not be described: %s" % (task_arn, described.get("failures")))
    task = found[0]
    exit_code = None
    reason = None
    for c in task.get("containers", []):
        if c.get("name") == container:
            exit_code = c.get("exitCode")
            reason = c.get("reason")
    if exit_code != 0:
        raise RuntimeError(
            "the migration failed: task %s exit code %s, stoppedReason %r, container reason %r. "
            "The service was not updated and still runs the previous version. See the %s."
            % (task_arn, exit_code, task.get("stoppedReason"), reason, logs)
        )
    return {"taskArn": task_arn, "exitCode": 0}
