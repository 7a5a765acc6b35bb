data "aws_iam_policy_document" "deployer" {
  statement {
    sid       = "Deploy"
    actions   = ["ecs:UpdateService", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"] # want: VGL-S021
    resources = ["*"]
  }
}

resource "aws_iam_policy" "deployer" {
  name   = "deployer"
  policy = data.aws_iam_policy_document.deployer.json
}
