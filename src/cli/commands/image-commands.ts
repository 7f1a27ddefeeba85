import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { defineImageList } from './image-list.js';
import { defineHistory, defineImageInspect, defineImagePrune, defineRmi, defineTag } from './image-manage.js';
import { defineInspect } from './object-inspect.js';
import { defineLogin, defineLogout, definePull, definePush, defineSearch } from './registry-client-commands.js';
import { defineBuild } from './image-build.js';
import { defineBootstrap, defineImport, defineLoad, defineSave } from './image-transfer.js';

/** docker's image commands, both as `berth image VERB` and as the classic top-level aliases. */
export function registerImageCommands(program: Command, ctx: CliContext): void {
  const image = program.command('image').description('Manage images');
  defineImageList(image, ctx, 'ls').alias('list');
  defineImageInspect(image, ctx, 'inspect');
  defineHistory(image, ctx, 'history');
  defineRmi(image, ctx, 'rm').alias('remove');
  defineTag(image, ctx, 'tag');
  defineImagePrune(image, ctx, 'prune');
  defineImport(image, ctx, 'import');
  defineSave(image, ctx, 'save');
  defineLoad(image, ctx, 'load');
  defineBootstrap(image, ctx, 'bootstrap');
  definePull(image, ctx, 'pull');
  definePush(image, ctx, 'push');
  defineBuild(image, ctx, 'build');

  defineImageList(program, ctx, 'images');
  defineBuild(program, ctx, 'build');
  defineHistory(program, ctx, 'history');
  defineRmi(program, ctx, 'rmi');
  defineTag(program, ctx, 'tag');
  defineImport(program, ctx, 'import');
  defineSave(program, ctx, 'save');
  defineLoad(program, ctx, 'load');
  defineInspect(program, ctx, 'inspect');
  definePull(program, ctx, 'pull');
  definePush(program, ctx, 'push');
  defineLogin(program, ctx);
  defineLogout(program, ctx);
  defineSearch(program, ctx);
}
