import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, LoginDto, UpdateUserDto } from '../users/user.dto.js';
import { UserService } from '../users/user.service.js';
import { CurrentUser, Public, Roles, type AuthUser } from './auth.decorators.js';
import { TokenService } from './token.service.js';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    @Inject(UserService) private readonly users: UserService,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto) {
    const user = await this.users.verify(body.username, body.password);
    if (!user) throw new UnauthorizedException('wrong username or password');
    return {
      ...this.tokens.sign(user.id, user.username),
      user: { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles },
    };
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: AuthUser) {
    return user;
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(@Inject(UserService) private readonly users: UserService) {}

  @Get()
  async list() {
    return this.users.list();
  }

  @Post()
  async create(@Body() body: CreateUserDto) {
    return this.users.create(body);
  }

  @Patch(':id')
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserDto) {
    return this.users.update(id, body);
  }
}
